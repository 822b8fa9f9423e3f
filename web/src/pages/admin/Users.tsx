import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { USER_ROLES, usersKey, type UserAccount } from "../../admin";
import { useAuth } from "../../auth";
import { FormActions } from "../../components/FormActions";
import { ErrorMessage, Loading } from "../../components/Status";
import { apiGet, apiSend } from "../../fhir";
import { useDraft } from "../../useDraft";
import { useTitle } from "../../useTitle";

const EMPTY = { userName: "", displayName: "", role: "clinician", fhirUser: "", password: "" };
const SECRET = ["password"] as const;

/** GET/POST /admin/users and POST /admin/users/{name}/disable|enable (enable also lifts a lockout). */
export function Users() {
  useTitle("Users");
  const { mode } = useAuth();
  const client = useQueryClient();
  const users = useQuery({ queryKey: usersKey, queryFn: ({ signal }) => apiGet<UserAccount[]>("/admin/users", signal), enabled: mode === "oidc" });
  const draft = useDraft("new-user", EMPTY, SECRET);
  const form = draft.value;
  const setForm = draft.setValue;
  const [adding, setAdding] = useState(draft.restored);
  const [created, setCreated] = useState<string>();
  const add = useMutation({
    mutationFn: (body: typeof EMPTY) =>
      apiSend("/admin/users", "POST", {
        userName: body.userName.trim(),
        password: body.password,
        role: body.role,
        fhirUser: body.fhirUser.trim() || null,
        displayName: body.displayName.trim() || null,
      }),
    onSuccess: (_, body) => {
      setCreated(body.userName.trim());
      draft.clear();
      setAdding(false);
      void client.invalidateQueries({ queryKey: usersKey });
    },
  });
  const toggle = useMutation({
    mutationFn: ({ userName, action }: { userName: string; action: "disable" | "enable" }) => apiSend(`/admin/users/${encodeURIComponent(userName)}/${action}`, "POST"),
    onSettled: () => void client.invalidateQueries({ queryKey: usersKey }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(undefined);
    add.mutate(form);
  };

  if (mode === "off") {
    return (
      <section aria-labelledby="users-title">
        <h1 id="users-title">Users</h1>
        <p className="notice">
          Developer mode (<code>--dev</code>) runs without sign-in, so there are no user accounts to manage. Start the server without <code>--dev</code>, or use{" "}
          <code>carelake users</code> on the command line.
        </p>
      </section>
    );
  }

  return (
    <section aria-labelledby="users-title">
      <div className="page-head">
        <h1 id="users-title">Users</h1>
        {!adding && (
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            Add a user
          </button>
        )}
      </div>
      {created && (
        <p className="notice ok" role="status">
          User <strong>{created}</strong> was created. Give them the password through a safe channel.
        </p>
      )}
      {adding && (
        <form className="card form-grid" aria-labelledby="add-user-title" onSubmit={submit}>
          <h2 id="add-user-title">New user</h2>
          {draft.restored && (
            <p className="notice full-row" role="status">
              What you entered before your session ended is back; enter the password again.
            </p>
          )}
          <div className="field">
            <label htmlFor="u-name">User name</label>
            <input id="u-name" required autoComplete="off" value={form.userName} onChange={(e) => setForm({ ...form, userName: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor="u-display">Display name (optional)</label>
            <input id="u-display" autoComplete="off" value={form.displayName} onChange={(e) => setForm({ ...form, displayName: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor="u-role">Role</label>
            <select id="u-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })} aria-describedby="u-role-hint">
              {USER_ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
            <span className="hint" id="u-role-hint">
              An auditor reads the audit trail only; a patient sees only their own record.
            </span>
          </div>
          {form.role === "patient" && (
            <div className="field">
              <label htmlFor="u-fhiruser">Patient record</label>
              <input id="u-fhiruser" required autoComplete="off" placeholder="Patient/123" value={form.fhirUser} onChange={(e) => setForm({ ...form, fhirUser: e.target.value })} aria-describedby="u-fhiruser-hint" />
              <span className="hint" id="u-fhiruser-hint">
                The patient this user is: Patient/id
              </span>
            </div>
          )}
          <div className="field">
            <label htmlFor="u-password">Initial password</label>
            <input id="u-password" type="password" required autoComplete="new-password" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} aria-describedby="u-password-hint" />
            <span className="hint" id="u-password-hint">
              At least 12 characters
            </span>
          </div>
          {add.isError && <ErrorMessage title="The user was not created" error={add.error} />}
          <FormActions
            pending={add.isPending}
            submit="Create user"
            submitting="Creating…"
            onCancel={() => {
              setAdding(false);
              draft.clear();
              add.reset();
            }}
          />
        </form>
      )}
      {users.isPending && <Loading label="Loading users…" />}
      {users.isError && <ErrorMessage title="The users could not be listed" error={users.error} retry={() => void users.refetch()} />}
      {toggle.isError && <ErrorMessage title="The change failed" error={toggle.error} />}
      {users.data && (
        <div className="table-wrap" aria-busy={users.isFetching || toggle.isPending}>
          <table className="results" aria-label="Users">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((u) => {
                const state = u.disabled ? "Disabled" : u.lockedOut ? "Locked (failed sign-ins)" : "Active";
                return (
                  <tr key={u.userName}>
                    <td data-label="User">
                      <span className="item-main">{u.userName}</span>
                      {u.displayName && u.displayName !== u.userName && <span className="muted"> · {u.displayName}</span>}
                      {u.fhirUser && <span className="item-detail mono">{u.fhirUser}</span>}
                    </td>
                    <td data-label="Role">{u.role}</td>
                    <td data-label="Status">
                      <span className={`badge ${u.disabled || u.lockedOut ? "badge-fail" : "badge-pass"}`}>{state}</span>
                    </td>
                    <td className="actions-cell">
                      <div className="row-actions">
                        {u.disabled || u.lockedOut ? (
                          <button type="button" disabled={toggle.isPending} onClick={() => toggle.mutate({ userName: u.userName, action: "enable" })} aria-label={`${u.disabled ? "Enable" : "Unlock"} ${u.userName}`}>
                            {u.disabled ? "Enable" : "Unlock"}
                          </button>
                        ) : (
                          <button
                            type="button"
                            disabled={toggle.isPending}
                            onClick={() => {
                              if (window.confirm(`Disable ${u.userName}? They can no longer sign in, and their refresh tokens stop working.`)) toggle.mutate({ userName: u.userName, action: "disable" });
                            }}
                            aria-label={`Disable ${u.userName}`}
                          >
                            Disable
                          </button>
                        )}
                        {u.id && (
                          <Link to={`/manage/audit?agent=${encodeURIComponent(u.id)}`} aria-label={`Audit trail of ${u.userName}`}>
                            Activity
                          </Link>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
