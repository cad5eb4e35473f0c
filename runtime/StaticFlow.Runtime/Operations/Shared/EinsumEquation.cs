// Shared source: the kernel, graph import and the generator read an Einsum equation the same way.
using System;
using System.Collections.Generic;
using System.Linq;

namespace StaticFlow.Operations;

/// <summary>
/// An Einsum equation such as <c>abc,cd-&gt;abd</c> or <c>aecd,abcd-&gt;acbe</c> (what Keras's attention layers
/// write): one subscript string per operand and the output's. Without <c>-&gt;</c> the output is every subscript
/// used once, alphabetically (NumPy's implicit mode). Ellipses are not supported yet and are refused by name.
/// </summary>
internal sealed class EinsumEquation
{
    private EinsumEquation(string[] operands, string output)
    {
        Operands = operands;
        Output = output;
    }

    /// <summary>Each operand's subscripts.</summary>
    public IReadOnlyList<string> Operands { get; }

    /// <summary>The output's subscripts.</summary>
    public string Output { get; }

    /// <summary>Every distinct subscript, output ones first, then the summed ones.</summary>
    public string Letters => new(Output.Concat(Operands.SelectMany(o => o)).Distinct().ToArray());

    /// <summary>Parses <paramref name="equation"/> for <paramref name="operandCount"/> operands; the problem in <paramref name="problem"/> when it cannot.</summary>
    public static EinsumEquation? TryParse(string equation, int operandCount, out string? problem)
    {
        problem = null;
        string text = equation.Replace(" ", "");
        if (text.Contains("."))
        {
            problem = $"equation '{equation}' uses an ellipsis, which StaticFlow's Einsum does not support yet; write every subscript";
            return null;
        }
        string[] sides = text.Split(new[] { "->" }, StringSplitOptions.None);
        if (sides.Length > 2) { problem = $"equation '{equation}' has more than one '->'"; return null; }
        string[] operands = sides[0].Split(',');
        if (operands.Length != operandCount) { problem = $"equation '{equation}' names {operands.Length} operands, but the op has {operandCount}"; return null; }
        foreach (string subscripts in operands.Concat(sides.Length == 2 ? new[] { sides[1] } : Array.Empty<string>()))
            if (subscripts.Any(ch => !char.IsLetter(ch))) { problem = $"equation '{equation}': subscripts must be letters"; return null; }
        string output;
        if (sides.Length == 2)
        {
            // A subscript repeated in the output writes a diagonal (zeros elsewhere), as TensorFlow's Einsum inflates
            // it; the gradient of an operand with a repeated subscript is written so.
            output = sides[1];
            foreach (char ch in output)
                if (!operands.Any(o => o.Contains(ch))) { problem = $"equation '{equation}': output subscript '{ch}' is in no operand"; return null; }
        }
        else
        {
            var counts = operands.SelectMany(o => o).GroupBy(ch => ch).Where(g => g.Count() == 1).Select(g => g.Key).OrderBy(ch => ch);
            output = new string(counts.ToArray());
        }
        return new EinsumEquation(operands, output);
    }

    /// <summary>
    /// The size of each subscript from the operands' shapes (-1 where unknown), or null with <paramref name="problem"/>
    /// set when an operand's rank differs from its subscripts or one subscript has two sizes.
    /// </summary>
    public Dictionary<char, long>? Sizes(IReadOnlyList<long[]?> shapes, out string? problem)
    {
        problem = null;
        var sizes = new Dictionary<char, long>();
        for (int i = 0; i < Operands.Count; i++)
        {
            string subscripts = Operands[i];
            if (shapes[i] is not { } shape)
            {
                foreach (char ch in subscripts) if (!sizes.ContainsKey(ch)) sizes[ch] = -1;
                continue;
            }
            if (shape.Length != subscripts.Length) { problem = $"operand {i} has rank {shape.Length}, but its subscripts '{subscripts}' name {subscripts.Length} dimensions"; return null; }
            for (int d = 0; d < shape.Length; d++)
            {
                char ch = subscripts[d];
                if (sizes.TryGetValue(ch, out long known) && known >= 0 && shape[d] >= 0 && known != shape[d])
                {
                    problem = $"subscript '{ch}' is {known} in one place and {shape[d]} in another";
                    return null;
                }
                if (!sizes.ContainsKey(ch) || sizes[ch] < 0) sizes[ch] = shape[d];
            }
        }
        return sizes;
    }
}
