using System.Globalization;
using System.Text;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// Lookup tables (<c>tensorflow/core/kernels/lookup_table_op.cc</c>, <c>lookup_util.cc</c>): the table resources and
/// the ops that fill, query and export them. A table lives in the session's resource store under its shared name
/// (the node's name with <c>use_node_name_sharing</c>, else a name private to the node), kept apart from variables.
/// </summary>
internal static class LookupKernels
{
    private const string TablePrefix = "lookup_table:";

    public static void Register(KernelRegistrar add)
    {
        add.Add("HashTableV2", node => TableSource(node, mutable: false));
        add.Add("MutableHashTableV2", node => TableSource(node, mutable: true));
        add.Add("InitializeTableV2", _ => new DelegateKernel(c => Guard(c, () => Table(c).Initialize(c.Input(1), c.Input(2)))));
        add.Add("LookupTableFindV2", _ => new DelegateKernel(c => c.SetOutput(0, Guard(c, () => Table(c, initialized: true).Find(c.Input(1), c.Input(2))))));
        add.Add("LookupTableSizeV2", _ => new DelegateKernel(c => c.SetOutput(0, Tensor.Scalar((long)Table(c).Count))));
        add.Add("LookupTableExportV2", _ => new DelegateKernel(c =>
        {
            var (keys, values) = Table(c).Export();
            c.SetOutput(0, keys);
            c.SetOutput(1, values);
        }));
        add.Add("LookupTableInsertV2", _ => new DelegateKernel(c => Guard(c, () => Mutable(c).Insert(c.Input(1), c.Input(2)))));
        add.Add("LookupTableImportV2", _ => new DelegateKernel(c =>
        {
            // TensorFlow imports into an initializable table by initializing it (how its saveable restores one).
            var table = Table(c);
            Guard(c, () => { if (table.IsMutable) table.Import(c.Input(1), c.Input(2)); else table.Initialize(c.Input(1), c.Input(2)); });
        }));
        add.Add("LookupTableRemoveV2", _ => new DelegateKernel(c => Guard(c, () => Mutable(c).Remove(c.Input(1)))));
        add.Add("InitializeTableFromTextFileV2", node =>
        {
            long keyIndex = KernelHelpers.IntAttr(node, "key_index"), valueIndex = KernelHelpers.IntAttr(node, "value_index");
            long vocabSize = KernelHelpers.IntAttr(node, "vocab_size"), offset = node.Attrs.TryGetValue("offset", out var o) ? o.I : 0;
            string delimiter = KernelHelpers.StringAttr(node, "delimiter");
            if (keyIndex < -2 || valueIndex < -2) throw new GraphException(node.Name, node.Op, $"key_index {keyIndex} and value_index {valueIndex} must be -2 (whole line), -1 (line number) or a column");
            if (delimiter.Length != 1) throw new GraphException(node.Name, node.Op, $"the delimiter must be one character, got '{delimiter}'");
            return new DelegateKernel(c => InitializeFromTextFile(c, keyIndex, valueIndex, vocabSize, delimiter[0], offset));
        });
    }

    private static IOpKernel TableSource(GraphNode node, bool mutable)
    {
        string container = KernelHelpers.StringAttr(node, "container");
        string shared = KernelHelpers.StringAttr(node, "shared_name");
        // An unshared table is private to its node: TensorFlow names it after the kernel instance.
        string name = TablePrefix + (shared.Length > 0 ? shared : node.Name);
        DType keys = KernelHelpers.DTypeAttr(node, "key_dtype"), values = KernelHelpers.DTypeAttr(node, "value_dtype");
        if (keys is not (DType.String or DType.Int64 or DType.Int32))
            throw new GraphException(node.Name, node.Op, $"tables take string, int32 or int64 keys, not {keys.Name()}");
        return new DelegateKernel(c =>
        {
            Variable slot = c.Frame.Session.Resources.GetOrCreate(container, name);
            lock (slot)
            {
                if (!slot.IsInitialized) slot.Assign(Tensor.Variant(new LookupTable(keys, values, mutable)));
                else if (slot.Read().Variants[0] is not LookupTable { } table || table.KeyDType != keys || table.ValueDType != values || table.IsMutable != mutable)
                    throw c.Error($"the shared table '{shared}' already exists as {slot.Read().Variants[0]}, not a {(mutable ? "mutable" : "initializable")} {keys.Name()} -> {values.Name()} table");
            }
            c.SetOutput(0, slot);
        });
    }

    private static LookupTable Table(KernelContext c, bool initialized = false)
    {
        Variable slot = c.InputVariable(0);
        if (!slot.IsInitialized || slot.Read() is not { DType: DType.Variant } value || value.Variants[0] is not LookupTable table)
            throw c.Error($"input 0 ('{slot.Name}') is not a lookup table");
        if (initialized && !table.IsInitialized && !table.IsMutable) throw c.Error("Table not initialized (run the model's init op, or the table initializer, first)");
        return table;
    }

    private static LookupTable Mutable(KernelContext c) =>
        Table(c) is { IsMutable: true } table ? table : throw c.Error("the table is not mutable (a HashTableV2 is filled once by its initializer)");

    private static void Guard(KernelContext c, Action action) => Guard(c, () => { action(); return 0; });

    private static T Guard<T>(KernelContext c, Func<T> action)
    {
        try { return action(); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException) { throw c.Error(e.Message); }
    }

    /// <summary>
    /// TensorFlow's TextFileLineIterator: each line gives a key and a value, from a column split at the delimiter,
    /// the whole line (-2) or the line number plus <paramref name="offset"/> (-1). An empty line is an error;
    /// <paramref name="vocabSize"/> (unless -1) stops early and must be reached. A table already initialized is left as it is.
    /// </summary>
    private static void InitializeFromTextFile(KernelContext c, long keyIndex, long valueIndex, long vocabSize, char delimiter, long offset)
    {
        LookupTable table = Table(c);
        Tensor fileName = c.Input(1);
        if (fileName.DType != DType.String || fileName.ElementCount != 1) throw c.Error($"filename must be a scalar string, got {fileName}");
        string path = Encoding.UTF8.GetString(fileName.Strings[0]);
        if (keyIndex == -1 && table.KeyDType != DType.Int64) throw c.Error($"key index -1 (line number) needs int64 keys, the table's are {table.KeyDType.Name()}");
        if (valueIndex == -1 && table.ValueDType != DType.Int64) throw c.Error($"value index -1 (line number) needs int64 values, the table's are {table.ValueDType.Name()}");
        if (table.IsInitialized && !table.IsMutable) return;
        if (c.Frame.Session.Options.FileAccess.Refusal(path, write: false) is { } reason) throw new IO.ModelAccessException(c.Node.Name, c.Node.Op, reason);

        var keys = new List<object>();
        var values = new List<object>();
        long line = 0;
        try
        {
            // Each line becomes a key and a value (strings of about its length, or boxed numbers): bound that first.
            MemoryBudget.Check(new FileInfo(path).Length * 4, $"the vocabulary file {path}");
            using var reader = new StreamReader(path, Encoding.UTF8);
            for (string? text = reader.ReadLine(); text is not null; text = reader.ReadLine())
            {
                if (vocabSize != -1 && line >= vocabSize) break;
                if (text.Length == 0) throw c.Error($"{path}: empty line found at line {line}");
                string[] columns = Math.Max(keyIndex, valueIndex) >= 0 ? text.Split(delimiter) : [];
                if (columns.Length < Math.Max(keyIndex, valueIndex) + 1)
                    throw c.Error($"{path}: line {line} ({text}) has {columns.Length} columns, expected at least {Math.Max(keyIndex, valueIndex) + 1}");
                keys.Add(Field(c, path, line, text, columns, keyIndex, table.KeyDType, offset));
                values.Add(Field(c, path, line, text, columns, valueIndex, table.ValueDType, offset));
                line++;
            }
        }
        catch (IOException e) { throw c.Error($"cannot read {path}: {e.Message}"); }
        catch (UnauthorizedAccessException e) { throw c.Error($"cannot read {path}: {e.Message}"); }
        if (vocabSize != -1 && line != vocabSize) throw c.Error($"invalid vocab_size in {path}: expected {vocabSize} but got {line}");
        var shape = new TensorShape(keys.Count);
        Guard(c, () => table.Initialize(LookupTable.Build(table.KeyDType, shape, [.. keys]), LookupTable.Build(table.ValueDType, shape, [.. values])));
    }

    private static object Field(KernelContext c, string path, long line, string text, string[] columns, long index, DType dtype, long offset)
    {
        if (index == -1) return line + offset;
        string token = index == -2 ? text : columns[index];
        switch (dtype)
        {
            case DType.String: return Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(token));
            // TensorFlow adds the offset to int32 fields too (not to int64 ones).
            case DType.Int32 when int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int small): return small + offset;
            case DType.Int64 when long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long number): return number;
            case DType.Float32 or DType.Float64 when double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double real): return real;
            default: throw c.Error($"{path}: field '{token}' in line {line} is not a valid {dtype.Name()}");
        }
    }
}
