using Google.Protobuf;
using StaticFlow.Formats.Text;
using StaticFlow.IO;
using StaticFlow.Protos;

namespace StaticFlow.SavedModels;

/// <summary>Reads and writes bare GraphDef files (<c>.pb</c> binary, <c>.pbtxt</c> text), such as frozen graphs.</summary>
public static class GraphDefFile
{
    /// <summary>Reads a GraphDef; <c>.pbtxt</c> and <c>.txt</c> files are parsed as text.</summary>
    /// <exception cref="WrongFileKindException">The file is a SavedModel.</exception>
    /// <exception cref="StaticFlowFormatException">The file does not parse as a GraphDef.</exception>
    public static GraphDef Read(string path)
    {
        if (Directory.Exists(path))
            throw new WrongFileKindException(path, "this is a directory; if it is a SavedModel, open it with SavedModelDirectory.Open (or 'staticflow show')");
        if (!File.Exists(path)) throw new StaticFlowFormatException(path, "no such file");
        if (path.EndsWith(".pbtxt", StringComparison.Ordinal) || path.EndsWith(".txt", StringComparison.Ordinal))
        {
            string text = File.ReadAllText(path);
            try { return TextFormat.Parse<GraphDef>(text); }
            catch (FormatException e)
            {
                if (text.Contains("meta_graphs", StringComparison.Ordinal))
                    throw new WrongFileKindException(path, "this is a SavedModel text proto, not a GraphDef; open its directory with SavedModelDirectory.Open");
                throw new StaticFlowFormatException(path, $"not a valid GraphDef text proto: {e.Message}", e);
            }
        }
        byte[] bytes = File.ReadAllBytes(path);
        if (ModelFileSniffer.Detect(bytes) == ModelFileKind.SavedModel)
            throw new WrongFileKindException(path, "this is a SavedModel, not a GraphDef; open its directory with SavedModelDirectory.Open (or 'staticflow show')");
        try { return GraphDef.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e) { throw new StaticFlowFormatException(path, $"not a valid GraphDef protobuf: {e.Message}", e); }
    }

    /// <summary>Atomically writes a GraphDef, as text when the path ends in <c>.pbtxt</c>.</summary>
    public static void Write(string path, GraphDef graph)
    {
        if (path.EndsWith(".pbtxt", StringComparison.Ordinal)) AtomicFile.WriteAllText(path, TextFormat.Print(graph));
        else AtomicFile.WriteAllBytes(path, graph.ToByteArray());
    }
}
