namespace StaticFlow;

/// <summary>
/// Name and device scopes inside graph functions (<c>tf.name_scope</c>, <c>tf.device</c>). The generator reads them
/// at compile time: <c>using var _ = GraphScope.Name("dense1");</c> prefixes the names of the nodes made until the
/// end of the block. In eager calls they do nothing.
/// </summary>
public static class GraphScope
{
    /// <summary>Opens the name scope <paramref name="name"/> until the returned scope is disposed.</summary>
    public static IDisposable Name(string name) => Scope.Instance;

    /// <summary>Places the nodes made until the returned scope is disposed on <paramref name="device"/>.</summary>
    public static IDisposable Device(string device) => Scope.Instance;

    private sealed class Scope : IDisposable
    {
        public static readonly Scope Instance = new();

        public void Dispose() { }
    }
}
