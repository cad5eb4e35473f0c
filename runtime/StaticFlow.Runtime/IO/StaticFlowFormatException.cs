namespace StaticFlow.IO;

/// <summary>
/// A file that StaticFlow reads is not what its format says it must be: truncated, corrupt, of another
/// kind, or describing something impossible. The message names the file and the reason.
/// </summary>
public class StaticFlowFormatException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/> with a human-readable <paramref name="reason"/>.</summary>
    public StaticFlowFormatException(string path, string reason, Exception? inner = null)
        : base($"{path}: {reason}", inner)
    {
        FilePath = path;
        Reason = reason;
    }

    /// <summary>The file that was being read.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it.</summary>
    public string Reason { get; }
}

/// <summary>Stored bytes do not match their CRC32C: the file was damaged after it was written.</summary>
public sealed class ChecksumMismatchException : StaticFlowFormatException
{
    /// <summary>Creates the exception for <paramref name="path"/>; <paramref name="what"/> names the checked region.</summary>
    public ChecksumMismatchException(string path, string what, uint expected, uint actual)
        : base(path, $"CRC32C mismatch in {what} (stored 0x{expected:x8}, computed 0x{actual:x8}); the file is corrupt")
    {
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The (unmasked) CRC stored in the file.</summary>
    public uint Expected { get; }

    /// <summary>The CRC of the bytes actually present.</summary>
    public uint Actual { get; }
}

/// <summary>
/// A path names a file of a different kind than the one asked for (for example a frozen GraphDef where a
/// SavedModel directory was expected). The message says what it is and what to call instead.
/// </summary>
public sealed class WrongFileKindException : StaticFlowFormatException
{
    /// <summary>Creates the exception.</summary>
    public WrongFileKindException(string path, string reason) : base(path, reason) { }
}

/// <summary>
/// A SavedModel's <c>fingerprint.pb</c> does not match its files: <c>saved_model.pb</c> or the variables index
/// changed after the model was written (damage, or an edit). Open with fingerprint verification off to load it anyway.
/// </summary>
public sealed class FingerprintMismatchException : StaticFlowFormatException
{
    /// <summary>Creates the exception for the fingerprint at <paramref name="path"/> and the file <paramref name="file"/> it disagrees with.</summary>
    public FingerprintMismatchException(string path, string file, ulong expected, ulong actual)
        : base(path, $"{file} does not match the fingerprint (recorded 0x{expected:x16}, computed 0x{actual:x16}): it changed after the model was written; " +
                     "open it with verifyFingerprint: false (CLI: --ignore_fingerprint) to load it anyway")
    {
        File = file;
    }

    /// <summary>The file whose hash differs, relative to the SavedModel directory.</summary>
    public string File { get; }
}
