using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace PrivateVlm.Service;

/// <summary>Renders launchd/org.privatevlm.daemon.plist.in and reads the arguments back from an installed plist.</summary>
public static class LaunchAgentPlist
{
    public const string TemplateName = "org.privatevlm.daemon.plist.in";

    public static string Render(ServiceDefinition definition) =>
        ServiceTemplate.Fill(TemplateName, new Dictionary<string, string>
        {
            ["APPHOST"] = Escape(definition.Apphost),
            ["WATCH_FOLDER"] = Escape(definition.WatchFolder),
            ["DATABASE"] = Escape(definition.Database),
            ["THROTTLE_INTERVAL"] = definition.RestartDelaySeconds.ToString(CultureInfo.InvariantCulture),
            ["EXIT_TIMEOUT"] = definition.StopTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
            ["SHUTDOWN_TIMEOUT"] = definition.ShutdownTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
            ["PROCESS_TYPE"] = definition.ProcessType.ToString(),
            ["OPEN_FILES"] = definition.OpenFilesLimit.ToString(CultureInfo.InvariantCulture),
            ["SEARCH_PATH"] = Escape(definition.SearchPath),
            ["WORKING_DIRECTORY"] = Escape(definition.WorkingDirectory),
            ["STDOUT_PATH"] = Escape(definition.StandardOutPath),
            ["STDERR_PATH"] = Escape(definition.StandardErrorPath),
        });

    /// <summary>ProgramArguments of an installed plist, so status and uninstall find the database the job was given.</summary>
    public static IReadOnlyList<string> ReadProgramArguments(string plistText)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(plistText), settings);
        var dict = XDocument.Load(reader).Root?.Element("dict");
        var key = dict?.Elements("key").FirstOrDefault(k => k.Value == "ProgramArguments");
        if (key?.ElementsAfterSelf().FirstOrDefault() is not { Name.LocalName: "array" } array)
        {
            return [];
        }

        return array.Elements("string").Select(s => s.Value).ToList();
    }

    /// <summary>
    /// The same three substitutions launchd/install.sh makes. Quotes need no escaping in element content; control
    /// characters cannot be represented in XML 1.0 at all.
    /// </summary>
    private static string Escape(string value)
    {
        if (value.Any(char.IsControl))
        {
            throw new ServiceSetupException($"'{value}' contains a control character, which a property list cannot hold.");
        }

        return value.Replace("&", "&amp;", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal);
    }
}
