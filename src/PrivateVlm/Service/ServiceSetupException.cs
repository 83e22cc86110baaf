namespace PrivateVlm.Service;

/// <summary>The user asked for something the service cannot be set up with; the message says what to do instead.</summary>
public sealed class ServiceSetupException(string message) : Exception(message);
