namespace PrivateVlm.ModelHost.Http;

/// <summary>A request the host cannot serve as sent: HTTP 400 invalid_request_error with this message.</summary>
public sealed class BadRequestException(string message) : Exception(message);
