using Hl7.Fhir.Model;

namespace Carelake.Core.Fhir;

public static class Outcomes
{
    public static OperationOutcome Error(OperationOutcome.IssueType code, string diagnostics, string? expression = null) =>
        Issue(OperationOutcome.IssueSeverity.Error, code, diagnostics, expression);

    public static OperationOutcome Information(string diagnostics) =>
        Issue(OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational, diagnostics, null);

    public static OperationOutcome Issue(OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType code, string diagnostics, string? expression)
    {
        var issue = new OperationOutcome.IssueComponent { Severity = severity, Code = code, Diagnostics = diagnostics };
        if (expression is not null)
        {
            issue.Expression = [expression];
        }

        return new OperationOutcome { Issue = [issue] };
    }
}
