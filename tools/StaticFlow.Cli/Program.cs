using System.CommandLine;
using StaticFlow.Cli;

return CommandLineApp.Run(args, Console.Out, Console.Error);
