namespace PrivateVlm.ModelHost.Engine;

/// <summary>The image bytes are not a picture the engine decodes (JPEG and PNG are; HEIC, WebP and garbage are not).</summary>
public sealed class ImageUnreadableException(string detail) : Exception("Failed to load image or audio file: " + detail);
