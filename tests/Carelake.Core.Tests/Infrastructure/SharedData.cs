namespace Carelake.Core.Tests.Infrastructure;

/// <summary>Locates ../shared/data beside the repository (read in place, never copied into it).</summary>
public static class SharedData
{
    public static string Root { get; } = Find();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var sibling = Path.Combine(directory.FullName, "..", "shared", "data");
            if (Directory.Exists(sibling))
            {
                return Path.GetFullPath(sibling);
            }
        }

        throw new DirectoryNotFoundException("../shared/data was not found beside the repository.");
    }
}
