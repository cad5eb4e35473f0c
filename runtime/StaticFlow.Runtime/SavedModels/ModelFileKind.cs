using Google.Protobuf;
using StaticFlow.Protos;

namespace StaticFlow.SavedModels;

/// <summary>What a serialized TensorFlow model file holds.</summary>
public enum ModelFileKind
{
    /// <summary>Not recognised as any of the kinds below.</summary>
    Unknown,
    /// <summary>A <c>SavedModel</c> (<c>saved_model.pb</c>).</summary>
    SavedModel,
    /// <summary>A bare <c>GraphDef</c> (a frozen graph, <c>.pb</c>).</summary>
    GraphDef,
}

/// <summary>Tells a SavedModel from a GraphDef by content, so a user who passes one where the other is expected hears which it is.</summary>
public static class ModelFileSniffer
{
    /// <summary>Classifies serialized bytes.</summary>
    public static ModelFileKind Detect(ReadOnlySpan<byte> bytes)
    {
        // A proto of the wrong type often still parses (mismatched fields become unknown fields), so each
        // guess must also look like a real instance of its type.
        try
        {
            var savedModel = SavedModel.Parser.ParseFrom(bytes);
            if (savedModel.MetaGraphs.Count > 0 && savedModel.MetaGraphs.All(m => m.GraphDef is not null || m.MetaInfoDef is not null)
                && savedModel.CalculateSize() > bytes.Length / 2)
                return ModelFileKind.SavedModel;
        }
        catch (InvalidProtocolBufferException) { }
        try
        {
            var graph = GraphDef.Parser.ParseFrom(bytes);
            if (graph.Node.Count > 0 && graph.Node.All(n => n.Op.Length > 0 && n.Name.Length > 0)) return ModelFileKind.GraphDef;
        }
        catch (InvalidProtocolBufferException) { }
        return ModelFileKind.Unknown;
    }
}
