namespace Carelake.Tests.Infrastructure;

/// <summary>A new folder under the system's temp folder (<c>carelake-tests/PREFIX&lt;guid&gt;</c>), deleted on Dispose.</summary>
public sealed class TempFolder(string prefix = "") : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "carelake-tests", prefix + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
        catch (IOException)
        {
            // A server process the test killed can hold a file open for a moment: the folder is in the temp folder,
            // and a failed clean-up must not fail the test.
        }
    }
}
