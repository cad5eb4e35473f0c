using System.Reflection;
using StaticFlow.Tensors;

namespace StaticFlow.Generator.Tests;

/// <summary>TensorList handles (<c>Tensor&lt;TVariant&gt;</c>) in graph functions, carried through while loops as TF2's TensorArray is.</summary>
public class TensorListFunctionTests
{
    private const string Source = """
        using StaticFlow;

        namespace Models;

        [GraphModule]
        public partial class Lists
        {
            // TensorArray.unstack, a while loop reading row i and writing the running maximum, TensorArray.stack.
            [GraphFunction]
            public Tensor<float> RunningMax([Shape(-1, 3)] Tensor<float> rows)
            {
                var input = Ops.TensorListFromTensor(rows, [3]);
                var count = Ops.TensorListLength(input);
                var output = Ops.TensorListReserve<float>([3], count);
                var best = Ops.TensorListGetItem<float>(input, 0, [3]);
                Tensor<int> i = 0;
                while (i < count)
                {
                    best = Ops.Maximum(best, Ops.TensorListGetItem<float>(input, i, [3]));
                    output = Ops.TensorListSetItem(output, i, best);
                    i = i + 1;
                }
                return Ops.TensorListStack<float>(output, [3]);
            }

            // A stack: push every row, pop two back (last in, first out), gather from the rest.
            [GraphFunction]
            public (Tensor<float> Last, Tensor<float> BeforeLast, Tensor<float> Firsts, Tensor<int> Left) Stack([Shape(4, 2)] Tensor<float> rows)
            {
                var list = Ops.EmptyTensorList<float>([2]);
                foreach (var row in Ops.Unstack(rows, 4))
                    list = Ops.TensorListPushBack(list, row);
                var (rest, last) = Ops.TensorListPopBack<float>(list, [2]);
                var (remaining, beforeLast) = Ops.TensorListPopBack<float>(rest, [2]);
                return (last, beforeLast, Ops.TensorListGather<float>(remaining, Ops.Range<int>(0, 2, 1), [2]), Ops.TensorListLength(remaining));
            }
        }
        """;

    private static readonly Lazy<Assembly> s_assembly = new(() => GeneratorHost.Build(Source));

    [Fact]
    public void ListsCarriedThroughAWhileLoopAgreeEagerlyAndAsGraphs()
    {
        var module = (IGraphModule)Activator.CreateInstance(s_assembly.Value.GetType("Models.Lists")!)!;
        var rows = Tensor<float>.From([1, 5, 2, 3, 4, 6, 0, 9, 1, 2, 2, 2], 4, 3);
        float[] expected = [1, 5, 2, 3, 5, 6, 3, 9, 6, 3, 9, 6];
        Assert.Equal(expected, ((Tensor<float>)GeneratorHost.Invoke(module, "RunningMax", rows)).ToArray());
        var graph = (Tensor<float>)GeneratorHost.Invoke(module, "RunningMaxGraph", rows);
        Assert.Equal(new TensorShape(4, 3), graph.Shape);
        Assert.Equal(expected, graph.ToArray());

        var graphDef = module.Definition.ToGraphDef();
        var loop = Assert.Single(graphDef.Node, n => n.Op == "StatelessWhile" && n.Name.StartsWith("RunningMax/", StringComparison.Ordinal));
        Assert.Contains(StaticFlow.Protos.DataType.DtVariant, loop.Attr["T"].List.Type);
        var reserve = Assert.Single(graphDef.Node, n => n.Op == "TensorListReserve");
        Assert.Equal(StaticFlow.Protos.DataType.DtFloat, reserve.Attr["element_dtype"].Type);

        var pairs = Tensor<float>.From([1, 2, 3, 4, 5, 6, 7, 8], 4, 2);
        foreach (string method in new[] { "Stack", "StackGraph" })
        {
            var result = (System.Runtime.CompilerServices.ITuple)GeneratorHost.Invoke(module, method, pairs);
            Assert.Equal([7f, 8], ((Tensor<float>)result[0]!).ToArray());
            Assert.Equal([5f, 6], ((Tensor<float>)result[1]!).ToArray());
            Assert.Equal([1f, 2, 3, 4], ((Tensor<float>)result[2]!).ToArray());
            Assert.Equal([2], ((Tensor<int>)result[3]!).ToArray());
        }
    }
}
