using System.Text;
using Google.Protobuf;
using StaticFlow.Formats.Hashing;
using StaticFlow.Protos;

namespace StaticFlow.SavedModels;

/// <summary>
/// Computes <c>fingerprint.pb</c> (tensorflow/cc/saved_model/fingerprinting.cc) for the parts whose hashing
/// TensorFlow defines without further regularization, checked against TensorFlow 2.14's own file:
/// <c>saved_model_checksum</c> (FarmHash of the <c>saved_model.pb</c> bytes), <c>signature_def_hash</c> and
/// <c>checkpoint_hash</c> (FarmHash of <c>variables.index</c>). <c>graph_def_program_hash</c> and
/// <c>saved_object_graph_hash</c> need TensorFlow's graph regularization and are left 0; loaders read the file
/// only for metrics.
/// </summary>
public static class SavedModelFingerprint
{
    /// <summary>The fingerprint producer version TensorFlow writes.</summary>
    public const int Producer = 1;

    /// <summary>Computes the fingerprint of a SavedModel from its serialized bytes and, if present, its variables index.</summary>
    public static FingerprintDef Compute(ReadOnlySpan<byte> savedModelBytes, SavedModel model, ReadOnlySpan<byte> variablesIndex)
    {
        var fingerprint = new FingerprintDef
        {
            SavedModelChecksum = FarmHash.Fingerprint64(savedModelBytes),
            CheckpointHash = variablesIndex.IsEmpty ? 0 : FarmHash.Fingerprint64(variablesIndex),
            Version = new VersionDef { Producer = Producer },
        };
        MetaGraphDef? serve = model.MetaGraphs.FirstOrDefault(m => m.MetaInfoDef?.Tags.Contains(SavedModelDirectory.ServeTag) == true)
            ?? model.MetaGraphs.FirstOrDefault();
        if (serve is not null) fingerprint.SignatureDefHash = HashSignatureDefs(serve.SignatureDef);
        return fingerprint;
    }

    /// <summary>Computes the fingerprint of a SavedModel directory as it is on disk.</summary>
    public static FingerprintDef Compute(string directory)
    {
        var model = SavedModelDirectory.Open(directory);
        string index = model.VariablesPrefix + ".index";
        return Compute(model.Serialize(), model.Model, File.Exists(index) ? File.ReadAllBytes(index) : []);
    }

    /// <summary>Signatures sorted by key; each key's and deterministically serialized SignatureDef's FarmHash chained in.</summary>
    internal static ulong HashSignatureDefs(IDictionary<string, SignatureDef> signatures)
    {
        ulong result = 0;
        foreach (var (key, signature) in signatures.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            result = FingerprintCat64(result, FarmHash.Fingerprint64(Encoding.UTF8.GetBytes(key)));
            result = FingerprintCat64(result, FarmHash.Fingerprint64(Deterministic(signature).ToByteArray()));
        }
        return result;
    }

    /// <summary>C++'s deterministic serialization sorts map entries by key; C# keeps insertion order, so sort first.</summary>
    private static SignatureDef Deterministic(SignatureDef signature)
    {
        var sorted = new SignatureDef { MethodName = signature.MethodName };
        foreach (var (k, v) in signature.Inputs.OrderBy(e => e.Key, StringComparer.Ordinal)) sorted.Inputs.Add(k, v);
        foreach (var (k, v) in signature.Outputs.OrderBy(e => e.Key, StringComparer.Ordinal)) sorted.Outputs.Add(k, v);
        foreach (var (k, v) in signature.Defaults.OrderBy(e => e.Key, StringComparer.Ordinal)) sorted.Defaults.Add(k, v);
        return sorted;
    }

    /// <summary>TensorFlow's <c>FingerprintCat64</c> (tsl/platform/fingerprint.h): order-dependent combination of two fingerprints.</summary>
    internal static ulong FingerprintCat64(ulong first, ulong second)
    {
        const ulong kMul = 0xc6a4a7935bd1e995UL;
        unchecked
        {
            ulong result = first ^ kMul;
            result ^= ShiftMix(second * kMul) * kMul;
            result *= kMul;
            result = ShiftMix(result) * kMul;
            return ShiftMix(result);
        }
    }

    private static ulong ShiftMix(ulong value) => value ^ (value >> 47);
}
