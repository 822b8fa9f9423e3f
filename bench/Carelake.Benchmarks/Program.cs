using BenchmarkDotNet.Running;

namespace Carelake.Benchmarks;

/// <summary>
/// Micro-benchmarks of the hot paths behind create, read and search. Run all of them (about 6–8 minutes on 2 cores):
/// <c>dotnet run -c Release --project bench/Carelake.Benchmarks -- --filter '*'</c>
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
