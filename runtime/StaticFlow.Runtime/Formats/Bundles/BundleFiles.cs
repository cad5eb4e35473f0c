using System.Globalization;

namespace StaticFlow.Formats.Bundles;

/// <summary>File names of a tensor bundle (tensorflow/core/util/tensor_bundle/naming.cc).</summary>
public static class BundleFiles
{
    /// <summary>The index file of a bundle: <c>PREFIX.index</c>.</summary>
    public static string IndexPath(string prefix) => prefix + ".index";

    /// <summary>A data shard: <c>PREFIX.data-00000-of-00001</c>.</summary>
    public static string DataPath(string prefix, int shard, int shardCount) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}.data-{shard:D5}-of-{shardCount:D5}");

    /// <summary>
    /// Parses the part of a data shard's file name after the prefix (<c>.data-00000-of-00001</c>) into its shard
    /// and shard count.
    /// </summary>
    public static bool TryParseDataSuffix(string suffix, out int shard, out int shardCount)
    {
        shard = shardCount = 0;
        // ".data-" + 5 digits + "-of-" + 5 digits, exactly as DataPath writes it.
        if (suffix.Length != 20 || !suffix.StartsWith(".data-", StringComparison.Ordinal) || suffix.AsSpan(11, 4) is not "-of-")
            return false;
        return int.TryParse(suffix.AsSpan(6, 5), NumberStyles.None, CultureInfo.InvariantCulture, out shard)
            && int.TryParse(suffix.AsSpan(15, 5), NumberStyles.None, CultureInfo.InvariantCulture, out shardCount);
    }

    /// <summary>Every file of a bundle with <paramref name="shardCount"/> shards, index first.</summary>
    public static IEnumerable<string> AllPaths(string prefix, int shardCount)
    {
        yield return IndexPath(prefix);
        for (int i = 0; i < shardCount; i++) yield return DataPath(prefix, i, shardCount);
    }
}
