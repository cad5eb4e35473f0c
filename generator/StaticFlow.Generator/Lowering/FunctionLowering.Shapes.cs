using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using StaticFlow.Operations;

namespace StaticFlow.Generator.Lowering;

internal sealed partial class FunctionLowering
{
    /// <summary>
    /// The static shape of each output by the op's own shape function (the one graph import runs), null where unknown;
    /// <paramref name="fits"/> is false (and SF0006 reported) when the inputs can never fit.
    /// </summary>
    private IReadOnlyList<long[]?> InferShapes(OpSchema schema, IReadOnlyList<Value[]> inputs, EquatableArray<AttrModel> attrs, SyntaxNode at, out bool fits)
    {
        fits = true;
        if (schema.Shape is not { } shapeFunction) return Array.Empty<long[]?>();
        try
        {
            return shapeFunction(new LoweringShapeContext(schema, inputs, attrs, _constantInts));
        }
        catch (ShapeMismatchException e)
        {
            fits = false;
            Fail(GraphDiagnostics.ShapeMismatch, at, schema.Name, e.Message);
            return Array.Empty<long[]?>();
        }
    }

    /// <summary>The values a graph function passes to an op, as its shape function sees them.</summary>
    private sealed class LoweringShapeContext(OpSchema schema, IReadOnlyList<Value[]> inputs, EquatableArray<AttrModel> attrs, IReadOnlyDictionary<string, long[]> constantInts)
        : ShapeContext
    {
        public override int ArgumentCount => inputs.Count;

        public override int OutputCount =>
            schema.Outputs.Sum(o => o.NumberAttr is { } count ? (int)(Attr(count)?.Number ?? 0) : o.TypeListAttr is { } list ? Attr(list)?.Items.Count() ?? 0 : 1);

        public override int ListLength(int argument) => argument < inputs.Count ? inputs[argument].Length : 0;

        public override long[]? Shape(int argument, int item = 0) =>
            argument < inputs.Count && item < inputs[argument].Length ? inputs[argument][item].Shape : null;

        public override long[]? Constant(int argument) =>
            argument < inputs.Count && inputs[argument].Length > 0 && inputs[argument][0].Reference is { } reference
                && constantInts.TryGetValue(reference, out var values) ? values : null;

        public override bool Flag(string name) => Attr(name) is { Kind: AttrKind.Bool, Number: not 0 };

        public override long Int(string name, long fallback = 0) => Attr(name) is { Kind: AttrKind.Int } attr ? (long)attr.Number : fallback;

        public override long[]? Ints(string name) =>
            Attr(name) is { Kind: AttrKind.IntList } attr ? attr.Items.Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray() : null;

        public override string? Text(string name) => Attr(name) is { Kind: AttrKind.String } attr ? attr.Text : null;

        private AttrModel? Attr(string name) => attrs.FirstOrDefault(a => a.Name == name);
    }
}
