using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Carelake.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Security;

/// <summary>Issue 6: <c>carelake users add</c>, <c>carelake clients add</c>, <c>carelake keys rotate</c> on a data folder.</summary>
public sealed class AuthCliTests : IDisposable
{
    private readonly TempFolder _dataDir = new();

    public void Dispose() => _dataDir.Dispose();

    [Fact]
    public async Task Users_and_clients_are_added_listed_and_bad_input_exits_2()
    {
        var (code, output) = await ServerProcess.RunCliAsync("users", "add", "nurse", "--role", "clinician", "--fhir-user", "Practitioner/n1", "--data-dir", _dataDir.Path);
        Assert.True(code == 0, output);
        Assert.Contains("Password (shown once): ", output, StringComparison.Ordinal);

        (code, output) = await ServerProcess.RunCliAsync("users", "add", "kid", "--role", "patient", "--data-dir", _dataDir.Path);
        Assert.Equal(2, code);
        Assert.Contains("Patient", output, StringComparison.Ordinal);

        using var rsa = RSA.Create(2048);
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = "k1" });
        var jwks = new JsonObject { ["keys"] = new JsonArray(new JsonObject { ["kty"] = "RSA", ["kid"] = "k1", ["n"] = jwk.N, ["e"] = jwk.E, ["alg"] = "RS384" }) }.ToJsonString();
        (code, output) = await ServerProcess.RunCliAsync("clients", "add", "lab-sync", "--kind", "backend", "--scopes", "system/*.rs", "--jwks", jwks, "--data-dir", _dataDir.Path);
        Assert.True(code == 0, output);
        (code, output) = await ServerProcess.RunCliAsync("clients", "add", "bad", "--kind", "backend", "--scopes", "user/*.rs", "--jwks", jwks, "--data-dir", _dataDir.Path);
        Assert.Equal(2, code);

        (code, output) = await ServerProcess.RunCliAsync("clients", "list", "--data-dir", _dataDir.Path);
        Assert.Contains("lab-sync", output, StringComparison.Ordinal);
        Assert.Contains("carelake-web", output, StringComparison.Ordinal);
        (code, output) = await ServerProcess.RunCliAsync("users", "list", "--data-dir", _dataDir.Path);
        Assert.Contains("nurse\tclinician\tPractitioner/n1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_rotate_adds_a_new_signing_key_and_keeps_the_previous_one()
    {
        Carelake.Security.SigningKeys.Load(_dataDir.Path, "signing");
        var (code, output) = await ServerProcess.RunCliAsync("keys", "rotate", "--data-dir", _dataDir.Path);
        Assert.True(code == 0, output);
        Assert.Equal(2, Directory.GetFiles(Carelake.Security.SigningKeys.Folder(_dataDir.Path), "signing-*.pem").Length);
        Assert.Equal(2, Carelake.Security.SigningKeys.Load(_dataDir.Path, "signing").Count);
    }
}
