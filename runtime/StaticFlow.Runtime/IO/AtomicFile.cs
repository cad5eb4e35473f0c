namespace StaticFlow.IO;

/// <summary>
/// Writes a file under a temporary name in the same directory, flushes it to disk, then renames it over
/// the final name, so readers see either the old file or the whole new one, never a half-written one.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>A unique temporary path beside <paramref name="finalPath"/> (same directory, so the rename is atomic).</summary>
    public static string TemporaryPathFor(string finalPath) =>
        $"{finalPath}.tempstate{Random.Shared.NextInt64():x16}";

    /// <summary>Writes through <paramref name="write"/> and atomically publishes the result at <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string temp = TemporaryPathFor(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>Atomically replaces <paramref name="path"/> with UTF-8 <paramref name="text"/>.</summary>
    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Deletes a file, returning false instead of throwing when it cannot be deleted.</summary>
    internal static bool TryDelete(string path)
    {
        try
        {
            if (!File.Exists(path)) return false;
            File.Delete(path);
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>True for a name <see cref="TemporaryPathFor"/> made (a file being written, or left by a crash).</summary>
    internal static bool IsTemporaryName(string fileName) => fileName.Contains(".tempstate", StringComparison.Ordinal);

    /// <summary>
    /// Swaps two existing directories in one step where the file system can (Linux <c>renameat2</c> with
    /// <c>RENAME_EXCHANGE</c>): at no moment is either path missing. False where that is not available (other
    /// systems, older kernels, file systems without it); nothing has changed then.
    /// </summary>
    internal static bool TryExchangeDirectories(string first, string second)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            if (RenameAt2(AtFdCwd, first, AtFdCwd, second, RenameExchange) == 0) return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
        int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        // ENOSYS (no such call), EINVAL (the file system does not support the flag): fall back. Anything else is a real error.
        if (errno is 38 or 22) return false;
        throw new IOException($"cannot swap '{first}' and '{second}' (errno {errno})");
    }

    private const int AtFdCwd = -100;
    private const uint RenameExchange = 2;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static partial int RenameAt2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);
}
