namespace StaticFlow.IO;

/// <summary>
/// Writes a file under a temporary name in the same directory, flushes it to disk, then renames it over
/// the final name, so readers see either the old file or the whole new one, never a half-written one.
/// </summary>
public static class AtomicFile
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
}
