namespace StaticFlow.Devices;

/// <summary>A device graphs can run on.</summary>
/// <param name="Spec">Its full name (job, replica, task, type and id all set).</param>
public sealed record Device(DeviceSpec Spec)
{
    /// <summary>The full name, e.g. <c>/job:localhost/replica:0/task:0/device:CPU:0</c>.</summary>
    public string Name => Spec.ToString();

    /// <summary>The device type, e.g. <c>CPU</c>.</summary>
    public string Type => Spec.Type!;
}

/// <summary>The devices of this process. StaticFlow runs kernels on the host CPU, which can be split into several logical CPU devices.</summary>
public sealed class DeviceRegistry
{
    /// <summary>Creates a registry of <paramref name="cpuCount"/> CPU devices (like TensorFlow's logical CPU devices).</summary>
    public DeviceRegistry(int cpuCount = 1)
    {
        if (cpuCount < 1) throw new ArgumentOutOfRangeException(nameof(cpuCount), "At least one CPU device.");
        Devices = [.. Enumerable.Range(0, cpuCount).Select(i => new Device(new DeviceSpec("localhost", 0, 0, "CPU", i)))];
    }

    /// <summary>The devices, CPU:0 first.</summary>
    public IReadOnlyList<Device> Devices { get; }

    /// <summary>The device nodes go to when they ask for none or for one that is missing: CPU:0.</summary>
    public Device Default => Devices[0];

    /// <summary>The first device matching <paramref name="spec"/>, or null.</summary>
    public Device? Find(DeviceSpec spec) => Devices.FirstOrDefault(d => spec.Matches(d.Spec));
}
