namespace Carelake.Tests.Infrastructure;

/// <summary>Locates ../shared/data (read in place, never copied into the repository).</summary>
public static class SharedData
{
    public static string Root { get; } = Find();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null)
        {
            var candidate = Path.Combine(directory.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }

            var sibling = Path.Combine(directory.FullName, "..", "shared", "data");
            if (Directory.Exists(sibling))
            {
                return Path.GetFullPath(sibling);
            }

            directory = directory.Parent;
        }

        throw new DirectoryNotFoundException("shared/data was not found beside the repository (expected ../shared/data).");
    }
}
