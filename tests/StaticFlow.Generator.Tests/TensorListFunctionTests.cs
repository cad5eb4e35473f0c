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

            // TensorArray.split, concat, scatter and a resize.
            [GraphFunction]
            public (Tensor<float> Joined, Tensor<long> Lengths, Tensor<int> Count, Tensor<float> Reversed) Pieces([Shape(6)] Tensor<float> values, [Shape(3)] Tensor<long> lengths)
            {
                var pieces = Ops.TensorListSplit(values, [-1], lengths);
                var (joined, sizes) = Ops.TensorListConcat<float>(pieces, [-1], lengths);
                var longer = Ops.TensorListResize(pieces, 5);
                var rows = Ops.TensorListScatter(Ops.Reshape(values, [3, 2]), Ops.Range<int>(2, -1, -1), [2]);
                var again = Ops.TensorListScatterIntoExistingList(Ops.TensorListScatterV2(Ops.Reshape(values, [3, 2]), Ops.Range<int>(0, 3, 1), [2], 3), Ops.Reshape(values, [3, 2]), Ops.Range<int>(2, -1, -1));
                return (joined, sizes, Ops.TensorListLength(longer), Ops.TensorListStack<float>(rows, [2]) + Ops.TensorListStack<float>(again, [2]) * 0f);
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

        var values = Tensor<float>.From([1, 2, 3, 4, 5, 6], 6);
        var lengths = Tensor<long>.From([1, 2, 3], 3);
        foreach (string method in new[] { "Pieces", "PiecesGraph" })
        {
            var result = (System.Runtime.CompilerServices.ITuple)GeneratorHost.Invoke(module, method, values, lengths);
            Assert.Equal([1f, 2, 3, 4, 5, 6], ((Tensor<float>)result[0]!).ToArray());
            Assert.Equal([1L, 2, 3], ((Tensor<long>)result[1]!).ToArray());
            Assert.Equal([5], ((Tensor<int>)result[2]!).ToArray());
            Assert.Equal([5f, 6, 3, 4, 1, 2], ((Tensor<float>)result[3]!).ToArray());
        }

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
