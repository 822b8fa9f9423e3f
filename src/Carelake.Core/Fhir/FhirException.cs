using Hl7.Fhir.Model;

namespace Carelake.Core.Fhir;

/// <summary>
/// Aborts the current request with an HTTP status and an OperationOutcome. Mapped to a response in exactly one place
/// (the HTTP error handler); expected outcomes that callers branch on are result types instead.
/// </summary>
public sealed class FhirException : Exception
{
    public FhirException(int status, OperationOutcome outcome)
        : base(outcome.Issue.FirstOrDefault()?.Diagnostics ?? "FHIR error")
    {
        Status = status;
        Outcome = outcome;
    }

    public FhirException(int status, OperationOutcome.IssueType code, string diagnostics, string? expression = null)
        : this(status, Outcomes.Error(code, diagnostics, expression))
    {
    }

    public FhirException()
        : this(500, OperationOutcome.IssueType.Exception, "Internal error")
    {
    }

    public FhirException(string message)
        : this(400, OperationOutcome.IssueType.Invalid, message)
    {
    }

    public FhirException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 400;
        Outcome = Outcomes.Error(OperationOutcome.IssueType.Invalid, message);
    }

    public int Status { get; }

    public OperationOutcome Outcome { get; }

    public static FhirException BadRequest(string diagnostics, string? expression = null) =>
        new(400, OperationOutcome.IssueType.Invalid, diagnostics, expression);

    public static FhirException NotFound(string diagnostics) =>
        new(404, OperationOutcome.IssueType.NotFound, diagnostics);

    public static FhirException Gone(string diagnostics) =>
        new(410, OperationOutcome.IssueType.Deleted, diagnostics);

    public static FhirException Conflict(string diagnostics) =>
        new(409, OperationOutcome.IssueType.Conflict, diagnostics);

    public static FhirException PreconditionFailed(string diagnostics) =>
        new(412, OperationOutcome.IssueType.Conflict, diagnostics);

    public static FhirException NotSupported(string diagnostics) =>
        new(400, OperationOutcome.IssueType.NotSupported, diagnostics);
}
