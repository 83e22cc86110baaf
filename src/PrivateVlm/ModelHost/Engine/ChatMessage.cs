namespace PrivateVlm.ModelHost.Engine;

/// <summary>One message of a chat request; an image part is already replaced by the model's media marker.</summary>
public sealed record ChatMessage(string Role, string Content);
