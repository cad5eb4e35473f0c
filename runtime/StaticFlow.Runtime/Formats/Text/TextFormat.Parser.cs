using System.Collections;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace StaticFlow.Formats.Text;

public static partial class TextFormat
{
    private enum TokenKind { Identifier, Number, String, Symbol, End }

    private readonly record struct Token(TokenKind Kind, string Text, byte[]? Bytes, int Line, int Column);

    private sealed class Tokenizer(string text)
    {
        private int _position;
        private int _line = 1;
        private int _lineStart;
        private Token? _peeked;

        public Token Peek() => _peeked ??= Next();

        public Token Take()
        {
            Token token = Peek();
            _peeked = null;
            return token;
        }

        public FormatException Error(Token at, string message) =>
            new($"Text format error at line {at.Line}, column {at.Column}: {message}");

        private Token Next()
        {
            SkipWhitespaceAndComments();
            int line = _line, column = _position - _lineStart + 1;
            if (_position >= text.Length) return new Token(TokenKind.End, "", null, line, column);
            char c = text[_position];
            if (c is '"' or '\'')
            {
                // Adjacent string literals concatenate, as in C.
                var bytes = new List<byte>();
                while (_position < text.Length && text[_position] is '"' or '\'')
                {
                    ReadString(bytes, line, column);
                    SkipWhitespaceAndComments();
                }
                return new Token(TokenKind.String, "", [.. bytes], line, column);
            }
            if (char.IsLetter(c) || c == '_')
            {
                int start = _position;
                while (_position < text.Length && (char.IsLetterOrDigit(text[_position]) || text[_position] is '_' or '.')) _position++;
                return new Token(TokenKind.Identifier, text[start.._position], null, line, column);
            }
            if (char.IsDigit(c) || c is '-' or '+' || (c == '.' && _position + 1 < text.Length && char.IsDigit(text[_position + 1])))
            {
                int start = _position++;
                while (_position < text.Length && (char.IsLetterOrDigit(text[_position]) || text[_position] is '.' or '_' ||
                       (text[_position] is '-' or '+' && text[_position - 1] is 'e' or 'E')))
                    _position++;
                return new Token(TokenKind.Number, text[start.._position], null, line, column);
            }
            _position++;
            return new Token(TokenKind.Symbol, c.ToString(), null, line, column);
        }

        private void SkipWhitespaceAndComments()
        {
            while (_position < text.Length)
            {
                char c = text[_position];
                if (c == '#')
                {
                    while (_position < text.Length && text[_position] != '\n') _position++;
                }
                else if (char.IsWhiteSpace(c))
                {
                    if (c == '\n')
                    {
                        _line++;
                        _lineStart = _position + 1;
                    }
                    _position++;
                }
                else return;
            }
        }

        private void ReadString(List<byte> output, int line, int column)
        {
            char quote = text[_position++];
            Span<byte> utf8 = stackalloc byte[4];
            while (true)
            {
                if (_position >= text.Length || text[_position] == '\n')
                    throw new FormatException($"Text format error at line {line}, column {column}: unterminated string");
                char c = text[_position++];
                if (c == quote) return;
                if (c != '\\')
                {
                    if (char.IsHighSurrogate(c) && _position < text.Length)
                    {
                        int n = Encoding.UTF8.GetBytes([c, text[_position++]], utf8);
                        for (int i = 0; i < n; i++) output.Add(utf8[i]);
                    }
                    else
                    {
                        int n = Encoding.UTF8.GetBytes([c], utf8);
                        for (int i = 0; i < n; i++) output.Add(utf8[i]);
                    }
                    continue;
                }
                if (_position >= text.Length) break;
                char e = text[_position++];
                switch (e)
                {
                    case 'n': output.Add((byte)'\n'); break;
                    case 'r': output.Add((byte)'\r'); break;
                    case 't': output.Add((byte)'\t'); break;
                    case 'a': output.Add(7); break;
                    case 'b': output.Add(8); break;
                    case 'f': output.Add(12); break;
                    case 'v': output.Add(11); break;
                    case '\\' or '\'' or '"' or '?': output.Add((byte)e); break;
                    case 'x' or 'X':
                        {
                            int value = 0, digits = 0;
                            while (digits < 2 && _position < text.Length && Uri.IsHexDigit(text[_position]))
                            {
                                value = value * 16 + Convert.ToInt32(text[_position++].ToString(), 16);
                                digits++;
                            }
                            if (digits == 0) throw new FormatException($"Text format error at line {line}: \\x without hex digits");
                            output.Add((byte)value);
                            break;
                        }
                    case >= '0' and <= '7':
                        {
                            int value = e - '0', digits = 1;
                            while (digits < 3 && _position < text.Length && text[_position] is >= '0' and <= '7')
                            {
                                value = value * 8 + (text[_position++] - '0');
                                digits++;
                            }
                            output.Add((byte)value);
                            break;
                        }
                    default:
                        throw new FormatException($"Text format error at line {line}: unknown escape \\{e}");
                }
            }
            throw new FormatException($"Text format error at line {line}, column {column}: unterminated string");
        }
    }

    private sealed class Parser(Tokenizer tokens)
    {
        private const int MaxDepth = 100;
        private int _depth;

        public void ParseFields(IMessage message, string? closing)
        {
            if (++_depth > MaxDepth) throw tokens.Error(tokens.Peek(), $"messages nested deeper than {MaxDepth}");
            while (true)
            {
                Token token = tokens.Peek();
                if (token.Kind == TokenKind.End)
                {
                    if (closing is not null) throw tokens.Error(token, $"expected '{closing}' before the end of the text");
                    break;
                }
                if (closing is not null && token.Kind == TokenKind.Symbol && token.Text == closing)
                {
                    tokens.Take();
                    break;
                }
                ParseField(message);
                if (tokens.Peek() is { Kind: TokenKind.Symbol, Text: "," or ";" }) tokens.Take();
            }
            _depth--;
        }

        private void ParseField(IMessage message)
        {
            Token nameToken = tokens.Take();
            if (nameToken.Kind != TokenKind.Identifier)
                throw tokens.Error(nameToken, nameToken.Kind == TokenKind.Symbol && nameToken.Text == "["
                    ? "extensions and expanded Any values are not supported"
                    : $"expected a field name, found '{nameToken.Text}'");
            FieldDescriptor field = message.Descriptor.FindFieldByName(nameToken.Text)
                ?? throw tokens.Error(nameToken, $"message {message.Descriptor.FullName} has no field named '{nameToken.Text}'");

            bool isMessage = field.FieldType is FieldType.Message or FieldType.Group;
            if (tokens.Peek() is { Kind: TokenKind.Symbol, Text: ":" }) tokens.Take();
            else if (!isMessage) throw tokens.Error(tokens.Peek(), $"expected ':' after field '{field.Name}'");

            if (field.IsRepeated && tokens.Peek() is { Kind: TokenKind.Symbol, Text: "[" })
            {
                tokens.Take();
                if (tokens.Peek() is { Kind: TokenKind.Symbol, Text: "]" })
                {
                    tokens.Take();
                    return;
                }
                while (true)
                {
                    ParseOneValue(message, field);
                    Token separator = tokens.Take();
                    if (separator is { Kind: TokenKind.Symbol, Text: "]" }) return;
                    if (separator is not { Kind: TokenKind.Symbol, Text: "," }) throw tokens.Error(separator, "expected ',' or ']' in a list");
                }
            }
            ParseOneValue(message, field);
        }

        private void ParseOneValue(IMessage message, FieldDescriptor field)
        {
            if (field.IsMap)
            {
                ParseMapEntry(message, field);
                return;
            }
            object value;
            if (field.FieldType is FieldType.Message or FieldType.Group)
            {
                IMessage nested;
                if (!field.IsRepeated && field.Accessor.GetValue(message) is IMessage existing) nested = existing;
                else nested = NewMessage(field.MessageType);
                ParseNested(nested);
                value = nested;
                if (!field.IsRepeated)
                {
                    field.Accessor.SetValue(message, nested);
                    return;
                }
            }
            else value = ParseScalar(field);

            if (field.IsRepeated) ((IList)field.Accessor.GetValue(message)).Add(value);
            else field.Accessor.SetValue(message, value);
        }

        private void ParseNested(IMessage nested)
        {
            Token open = tokens.Take();
            string closing = open is { Kind: TokenKind.Symbol, Text: "{" } ? "}"
                : open is { Kind: TokenKind.Symbol, Text: "<" } ? ">"
                : throw tokens.Error(open, "expected '{' or '<' to open a message");
            ParseFields(nested, closing);
        }

        private void ParseMapEntry(IMessage message, FieldDescriptor field)
        {
            FieldDescriptor keyField = field.MessageType.FindFieldByNumber(1);
            FieldDescriptor valueField = field.MessageType.FindFieldByNumber(2);
            Token open = tokens.Take();
            string closing = open is { Kind: TokenKind.Symbol, Text: "{" } ? "}"
                : open is { Kind: TokenKind.Symbol, Text: "<" } ? ">"
                : throw tokens.Error(open, "expected '{' to open a map entry");

            object? key = null, value = null;
            while (!(tokens.Peek() is { Kind: TokenKind.Symbol } t && t.Text == closing))
            {
                Token name = tokens.Take();
                if (name.Kind == TokenKind.End) throw tokens.Error(name, $"expected '{closing}' to close a map entry");
                FieldDescriptor target = name.Text == "key" ? keyField : name.Text == "value" ? valueField
                    : throw tokens.Error(name, $"a map entry has 'key' and 'value', not '{name.Text}'");
                bool isMessage = target.FieldType == FieldType.Message;
                if (tokens.Peek() is { Kind: TokenKind.Symbol, Text: ":" }) tokens.Take();
                else if (!isMessage) throw tokens.Error(tokens.Peek(), "expected ':'");
                if (isMessage)
                {
                    var nested = value as IMessage ?? NewMessage(target.MessageType);
                    ParseNested(nested);
                    value = nested;
                }
                else if (target == keyField) key = ParseScalar(target);
                else value = ParseScalar(target);
                if (tokens.Peek() is { Kind: TokenKind.Symbol, Text: "," or ";" }) tokens.Take();
            }
            tokens.Take();
            key ??= DefaultOf(keyField);
            value ??= valueField.FieldType == FieldType.Message ? NewMessage(valueField.MessageType) : DefaultOf(valueField);
            ((IDictionary)field.Accessor.GetValue(message))[key] = value;
        }

        private object ParseScalar(FieldDescriptor field)
        {
            Token token = tokens.Take();
            try
            {
                switch (field.FieldType)
                {
                    case FieldType.String:
                        return Encoding.UTF8.GetString(ExpectString(token));
                    case FieldType.Bytes:
                        return ByteString.CopyFrom(ExpectString(token));
                    case FieldType.Bool:
                        return token.Text switch
                        {
                            "true" or "True" or "t" or "1" => true,
                            "false" or "False" or "f" or "0" => false,
                            _ => throw tokens.Error(token, $"expected a bool for '{field.Name}'"),
                        };
                    case FieldType.Float:
                        return (float)ParseFloating(token);
                    case FieldType.Double:
                        return ParseFloating(token);
                    case FieldType.Enum:
                        {
                            int number;
                            if (token.Kind == TokenKind.Identifier)
                                number = field.EnumType.FindValueByName(token.Text)?.Number
                                    ?? throw tokens.Error(token, $"enum {field.EnumType.FullName} has no value '{token.Text}'");
                            else number = checked((int)ParseInteger(token, signed: true));
                            return Enum.ToObject(field.EnumType.ClrType, number);
                        }
                    case FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32:
                        return checked((int)ParseInteger(token, signed: true));
                    case FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64:
                        return checked((long)ParseInteger(token, signed: true));
                    case FieldType.UInt32 or FieldType.Fixed32:
                        return checked((uint)ParseInteger(token, signed: false));
                    case FieldType.UInt64 or FieldType.Fixed64:
                        return checked((ulong)ParseInteger(token, signed: false));
                    default:
                        throw tokens.Error(token, $"field '{field.Name}' has an unsupported type {field.FieldType}");
                }
            }
            catch (OverflowException)
            {
                throw tokens.Error(token, $"value '{token.Text}' is out of range for field '{field.Name}'");
            }
        }

        private byte[] ExpectString(Token token) =>
            token.Kind == TokenKind.String ? token.Bytes! : throw tokens.Error(token, $"expected a quoted string, found '{token.Text}'");

        private Int128 ParseInteger(Token token, bool signed)
        {
            string text = token.Text;
            bool negative = text.StartsWith('-');
            if (negative && !signed) throw tokens.Error(token, "expected a non-negative integer");
            string digits = text.TrimStart('-', '+');
            Int128 value;
            bool ok = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? Int128.TryParse(digits[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && value >= 0
                : Int128.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
            if (token.Kind != TokenKind.Number || !ok) throw tokens.Error(token, $"expected an integer, found '{text}'");
            return negative ? -value : value;
        }

        private double ParseFloating(Token token)
        {
            string text = token.Text.ToLowerInvariant();
            bool negative = text.StartsWith('-');
            string body = text.TrimStart('-', '+');
            if (body is "inf" or "infinity") return negative ? double.NegativeInfinity : double.PositiveInfinity;
            if (body == "nan") return double.NaN;
            if (body.EndsWith('f') && !body.StartsWith("0x", StringComparison.Ordinal)) body = body[..^1];
            if (token.Kind != TokenKind.Number || body.StartsWith("0x", StringComparison.Ordinal) || !double.TryParse(body, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                throw tokens.Error(token, $"expected a number, found '{token.Text}'");
            return negative ? -value : value;
        }

        private static IMessage NewMessage(MessageDescriptor descriptor) => descriptor.Parser.ParseFrom(ByteString.Empty);

        private static object DefaultOf(FieldDescriptor field) => field.FieldType switch
        {
            FieldType.String => "",
            FieldType.Bytes => ByteString.Empty,
            FieldType.Bool => false,
            FieldType.Float => 0f,
            FieldType.Double => 0d,
            FieldType.Enum => Enum.ToObject(field.EnumType.ClrType, 0),
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => 0,
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => 0L,
            FieldType.UInt32 or FieldType.Fixed32 => 0u,
            _ => 0UL,
        };
    }
}
