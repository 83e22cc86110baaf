namespace PrivateVlm.Service;

/// <summary>
/// Turns a path typed by the user into the absolute path a service definition needs: launchd expands neither `~` nor
/// `$HOME`, and a service's working directory is not the shell's, so a relative path would silently mean something else.
/// </summary>
public static class UserPath
{
    public static string Resolve(string input, string home, string currentDirectory, string what)
    {
        if (string.IsNullOrWhiteSpace(input))
        {
            throw new ServiceSetupException($"The {what} path is empty.");
        }

        var path = input;
        if (path == "~")
        {
            path = home;
        }
        else if (path.StartsWith("~/", StringComparison.Ordinal))
        {
            path = Path.Combine(home, path[2..]);
        }
        else if (path.StartsWith('~'))
        {
            // ~user would need the password database; refusing is clearer than guessing.
            throw new ServiceSetupException($"The {what} path '{input}' uses ~user, which is not supported: give an absolute path.");
        }

        if (path.Contains("$HOME", StringComparison.Ordinal) || path.Contains("${", StringComparison.Ordinal))
        {
            throw new ServiceSetupException($"The {what} path '{input}' contains an unexpanded variable: give an absolute path.");
        }

        if (!Path.IsPathRooted(path))
        {
            if (!Path.IsPathRooted(currentDirectory))
            {
                throw new ServiceSetupException($"The {what} path '{input}' is relative and the current directory is unknown.");
            }

            path = Path.Combine(currentDirectory, path);
        }

        var full = Path.GetFullPath(path);
        if (!Path.IsPathRooted(full))
        {
            throw new ServiceSetupException($"The {what} path '{input}' did not resolve to an absolute path.");
        }

        return full.Length > 1 ? full.TrimEnd('/') : full;
    }
}
