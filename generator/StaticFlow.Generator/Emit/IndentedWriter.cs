using System;
using System.Text;

namespace StaticFlow.Generator.Emit;

/// <summary>
/// Writes generated C# line by line at the current indentation (four spaces a level); <see cref="Block"/> opens a
/// braced block that its disposal closes, so nesting in the emitter mirrors nesting in the output.
/// </summary>
internal sealed class IndentedWriter
{
    private readonly StringBuilder _text = new();
    private int _depth;

    /// <summary>Writes <paramref name="line"/> at the current indentation (an empty line has none).</summary>
    public void Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', _depth * 4).Append(line);
        _text.Append('\n');
    }

    /// <summary>Writes <paramref name="header"/> (when given) and <c>{</c>, and indents until the returned scope is disposed, which writes <c>}</c> and <paramref name="closing"/>.</summary>
    public Scope Block(string? header = null, string closing = "")
    {
        if (header is not null) Line(header);
        Line("{");
        _depth++;
        return new Scope(this, "}" + closing);
    }

    /// <summary>Indents the following lines one more level (a continued expression).</summary>
    public void Indent() => _depth++;

    /// <summary>Ends an <see cref="Indent"/>.</summary>
    public void Outdent() => _depth = Math.Max(0, _depth - 1);

    /// <inheritdoc/>
    public override string ToString() => _text.ToString();

    /// <summary>An open block; <c>default</c> is no block at all.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly IndentedWriter? _writer;
        private readonly string _closing;

        internal Scope(IndentedWriter writer, string closing)
        {
            _writer = writer;
            _closing = closing;
        }

        /// <summary>Closes the block.</summary>
        public void Dispose()
        {
            if (_writer is null) return;
            _writer.Outdent();
            _writer.Line(_closing);
        }
    }
}
