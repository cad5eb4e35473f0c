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
