using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using StaticFlow.Operations;

namespace StaticFlow.Generator.Lowering;

internal sealed partial class FunctionLowering
{
    private static readonly HashSet<string> SameShapeOps = new(StringComparer.Ordinal)
    {
        "Neg", "Abs", "Exp", "Log", "Sqrt", "Rsqrt", "Square", "Tanh", "Sigmoid", "Erf", "Relu", "Relu6", "Elu", "Selu",
        "Softplus", "LeakyRelu", "Softmax", "LogSoftmax", "Identity", "StopGradient", "ZerosLike", "OnesLike", "IsNan",
        "Cast", "LogicalNot",
    };

    private static readonly HashSet<string> BroadcastOps = new(StringComparer.Ordinal)
    {
        "Add", "AddV2", "Sub", "Mul", "RealDiv", "DivNoNan", "FloorDiv", "FloorMod", "Maximum", "Minimum", "Pow",
        "SquaredDifference", "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "LogicalAnd", "LogicalOr",
    };

    private static readonly HashSet<string> Reductions = new(StringComparer.Ordinal) { "Sum", "Mean", "Max", "Min", "Prod" };

    /// <summary>
    /// The static shape of the op's first output by the shared <see cref="ShapeRules"/>, or null where unknown;
    /// <paramref name="fits"/> is false (and SF0006 reported with both shapes) when the inputs can never fit.
    /// </summary>
    private long[]? InferShape(string op, IReadOnlyList<Value[]> inputs, EquatableArray<AttrModel> attrs, SyntaxNode at, out bool fits)
    {
        fits = true;
        long[]? Input(int i) => inputs.Count > i && inputs[i].Length > 0 ? inputs[i][0].Shape : null;
        long[]? Constant(int i) => inputs.Count > i && inputs[i].Length > 0 && inputs[i][0].Reference is { } r && _constantInts.TryGetValue(r, out var v) ? v : null;
        bool Flag(string name) => attrs.Any(a => a.Name == name && a.Number != 0);

        if (SameShapeOps.Contains(op)) return Input(0);
        if (BroadcastOps.Contains(op) || op == "SelectV2")
        {
            long[]? shape = Input(0);
            for (int i = 1; i < inputs.Count; i++)
            {
                if (!ShapeRules.TryBroadcast(shape, Input(i), out long[]? result))
                {
                    fits = false;
                    Fail(GraphDiagnostics.ShapeMismatch, at, op, $"shapes {ShapeRules.Format(shape)} and {ShapeRules.Format(Input(i))} cannot be broadcast together");
                    return null;
                }
                shape = result;
            }
            return shape;
        }
        switch (op)
        {
            case "MatMul":
                if (ShapeRules.TryMatMul(Input(0), Input(1), Flag("transpose_a"), Flag("transpose_b"), out long[]? product, out string? problem)) return product;
                fits = false;
                Fail(GraphDiagnostics.ShapeMismatch, at, op, problem!);
                return null;
            case "BiasAdd":
            {
                long[]? value = Input(0), bias = Input(1);
                if (bias is not null && bias.Length != 1 || value is not null && bias is not null && value.Length > 0 && value[value.Length - 1] >= 0 && bias[0] >= 0 && value[value.Length - 1] != bias[0])
                {
                    fits = false;
                    Fail(GraphDiagnostics.ShapeMismatch, at, op, $"bias of shape {ShapeRules.Format(bias)} does not match the last dimension of value {ShapeRules.Format(value)}");
                    return null;
                }
                return value;
            }
            case var _ when Reductions.Contains(op):
            {
                long[]? input = Input(0), axes = Constant(1);
                if (input is null || axes is null) return null;
                var reduced = new HashSet<long>();
                foreach (long axis in axes)
                {
                    long normalized = axis < 0 ? axis + input.Length : axis;
                    if (normalized < 0 || normalized >= input.Length)
                    {
                        fits = false;
                        Fail(GraphDiagnostics.ShapeMismatch, at, op, $"axis {axis} is out of range for shape {ShapeRules.Format(input)}");
                        return null;
                    }
                    reduced.Add(normalized);
                }
                bool keep = Flag("keep_dims");
                return input.Select((d, i) => (d, i)).Where(p => keep || !reduced.Contains(p.i)).Select(p => reduced.Contains(p.i) ? 1 : p.d).ToArray();
            }
            case "Reshape":
            {
                long[]? target = Constant(1), input = Input(0);
                if (target is null) return null;
                long[] dims = (long[])target.Clone();
                if (input is not null && input.All(d => d >= 0))
                {
                    long count = input.Aggregate(1L, (a, b) => a * b), known = dims.Where(d => d >= 0).Aggregate(1L, (a, b) => a * b);
                    int unknown = Array.IndexOf(dims, -1L);
                    bool ok = unknown >= 0 ? known > 0 && count % known == 0 : known == count;
                    if (!ok)
                    {
                        fits = false;
                        Fail(GraphDiagnostics.ShapeMismatch, at, op, $"a tensor of shape {ShapeRules.Format(input)} ({count} elements) cannot be reshaped to {ShapeRules.Format(target)}");
                        return null;
                    }
                    if (unknown >= 0) dims[unknown] = count / known;
                }
                return dims;
            }
            case "Transpose":
            {
                long[]? input = Input(0), perm = Constant(1);
                if (input is null || perm is null) return null;
                if (perm.Length != input.Length || perm.Any(p => p < 0 || p >= input.Length) || perm.Distinct().Count() != perm.Length)
                {
                    fits = false;
                    Fail(GraphDiagnostics.ShapeMismatch, at, op, $"[{string.Join(",", perm)}] is not a permutation of the {input.Length} dimensions of {ShapeRules.Format(input)}");
                    return null;
                }
                return perm.Select(p => input[p]).ToArray();
            }
            case "ExpandDims":
            {
                long[]? input = Input(0), axis = Constant(1);
                if (input is null || axis is null || axis.Length != 1) return null;
                long position = axis[0] < 0 ? axis[0] + input.Length + 1 : axis[0];
                if (position < 0 || position > input.Length) return null;
                var dims = input.ToList();
                dims.Insert((int)position, 1);
                return dims.ToArray();
            }
            default:
                return null;
        }
    }
}
