import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { clientsKey, type ClientAccount } from "../../admin";
import { useAuth } from "../../auth";
import { FormActions } from "../../components/FormActions";
import { ErrorMessage, Loading } from "../../components/Status";
import { apiGet, apiSend } from "../../fhir";
import { useDraft } from "../../useDraft";
import { useTitle } from "../../useTitle";

const WEB_CLIENT = "carelake-web";
type Kind = "public" | "confidential" | "backend";
const KINDS: { value: Kind; label: string; hint: string }[] = [
  { value: "public", label: "Public (browser or mobile app, PKCE)", hint: "No secret; signs users in with authorization code + PKCE." },
  { value: "confidential", label: "Confidential (server-side app with a secret)", hint: "Signs users in; authenticates with a secret of 16+ characters." },
  { value: "backend", label: "Backend service (private_key_jwt)", hint: "No user: client credentials with its public keys (JWKS); system/ scopes only." },
];
const EMPTY = { clientId: "", displayName: "", kind: "public" as Kind, redirectUris: "", scopes: "openid fhirUser offline_access user/*.rs", secret: "", jwks: "", jwksUrl: "" };

const SECRET = ["secret"] as const;
const lines = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((l) => l.trim())
    .filter((l) => l);

/** GET/POST /admin/clients and DELETE /admin/clients/{id}: the OAuth clients allowed to ask for tokens. */
export function Clients() {
  useTitle("Clients");
  const { mode } = useAuth();
  const client = useQueryClient();
  const clients = useQuery({ queryKey: clientsKey, queryFn: ({ signal }) => apiGet<ClientAccount[]>("/admin/clients", signal), enabled: mode === "oidc" });
  const draft = useDraft("new-client", EMPTY, SECRET);
  const form = draft.value;
  const setForm = draft.setValue;
  const [adding, setAdding] = useState(draft.restored);
  const [done, setDone] = useState<string>();
  const add = useMutation({
    mutationFn: (f: typeof EMPTY) =>
      apiSend("/admin/clients", "POST", {
        clientId: f.clientId.trim(),
        displayName: f.displayName.trim() || null,
        kind: f.kind,
        redirectUris: f.kind === "backend" ? [] : lines(f.redirectUris),
        scopes: lines(f.scopes).join(" "),
        secret: f.kind === "confidential" ? f.secret : null,
        jwks: f.kind === "backend" && f.jwks.trim() ? f.jwks.trim() : null,
        jwksUrl: f.kind === "backend" && f.jwksUrl.trim() ? f.jwksUrl.trim() : null,
      }),
    onSuccess: (_, f) => {
      setDone(`Client ${f.clientId.trim()} was registered.`);
      draft.clear();
      setAdding(false);
      void client.invalidateQueries({ queryKey: clientsKey });
    },
  });
  const remove = useMutation({
    mutationFn: (clientId: string) => apiSend(`/admin/clients/${encodeURIComponent(clientId)}`, "DELETE"),
    onSuccess: (_, clientId) => setDone(`Client ${clientId} was removed.`),
    onSettled: () => void client.invalidateQueries({ queryKey: clientsKey }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(undefined);
    add.mutate(form);
  };

  if (mode === "off") {
    return (
      <section aria-labelledby="clients-title">
        <h1 id="clients-title">Clients</h1>
        <p className="notice">
          Developer mode (<code>--dev</code>) runs without the authorization server, so there are no OAuth clients. Start the server without <code>--dev</code>, or use{" "}
          <code>carelake clients</code> on the command line.
        </p>
      </section>
    );
  }

  const kind = KINDS.find((k) => k.value === form.kind)!;
  return (
    <section aria-labelledby="clients-title">
      <div className="page-head">
        <h1 id="clients-title">Clients</h1>
        {!adding && (
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            Register a client
          </button>
        )}
      </div>
      <p className="muted">Applications allowed to ask this server for tokens. A token never gets more than the client&apos;s scopes and the user&apos;s role allow.</p>
      {done && (
        <p className="notice ok" role="status">
          {done}
        </p>
      )}
      {adding && (
        <form className="card form-grid" aria-labelledby="add-client-title" onSubmit={submit}>
          <h2 id="add-client-title">New client</h2>
          {draft.restored && (
            <p className="notice full-row" role="status">
              What you entered before your session ended is back{form.kind === "confidential" ? "; enter the secret again" : ""}.
            </p>
          )}
          <div className="field">
            <label htmlFor="c-id">Client id</label>
            <input id="c-id" required autoComplete="off" value={form.clientId} onChange={(e) => setForm({ ...form, clientId: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor="c-name">Display name (optional)</label>
            <input id="c-name" autoComplete="off" value={form.displayName} onChange={(e) => setForm({ ...form, displayName: e.target.value })} aria-describedby="c-name-hint" />
            <span className="hint" id="c-name-hint">
              Shown to users on the consent page
            </span>
          </div>
          <div className="field">
            <label htmlFor="c-kind">Kind</label>
            <select
              id="c-kind"
              value={form.kind}
              onChange={(e) => {
                const next = e.target.value as Kind;
                setForm({ ...form, kind: next, scopes: next === "backend" ? "system/*.rs" : EMPTY.scopes });
              }}
              aria-describedby="c-kind-hint"
            >
              {KINDS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
            <span className="hint" id="c-kind-hint">
              {kind.hint}
            </span>
          </div>
          {form.kind !== "backend" && (
            <div className="field">
              <label htmlFor="c-redirects">Redirect URIs</label>
              <textarea id="c-redirects" rows={2} required value={form.redirectUris} onChange={(e) => setForm({ ...form, redirectUris: e.target.value })} aria-describedby="c-redirects-hint" />
              <span className="hint" id="c-redirects-hint">
                One per line, absolute (https://app.example/callback)
              </span>
            </div>
          )}
          {form.kind === "confidential" && (
            <div className="field">
              <label htmlFor="c-secret">Client secret</label>
              <input id="c-secret" type="password" required autoComplete="new-password" value={form.secret} onChange={(e) => setForm({ ...form, secret: e.target.value })} aria-describedby="c-secret-hint" />
              <span className="hint" id="c-secret-hint">
                At least 16 characters; stored hashed, never shown again
              </span>
            </div>
          )}
          {form.kind === "backend" && (
            <>
              <div className="field">
                <label htmlFor="c-jwksurl">JWKS URL</label>
                <input id="c-jwksurl" type="url" autoComplete="off" value={form.jwksUrl} onChange={(e) => setForm({ ...form, jwksUrl: e.target.value })} aria-describedby="c-jwks-hint" />
              </div>
              <div className="field">
                <label htmlFor="c-jwks">or the JWKS document</label>
                <textarea id="c-jwks" rows={3} className="mono" value={form.jwks} onChange={(e) => setForm({ ...form, jwks: e.target.value })} aria-describedby="c-jwks-hint" />
                <span className="hint" id="c-jwks-hint">
                  The service&apos;s public keys (RS384 or ES384)
                </span>
              </div>
            </>
          )}
          <div className="field">
            <label htmlFor="c-scopes">Scopes</label>
            <input id="c-scopes" required autoComplete="off" className="mono" value={form.scopes} onChange={(e) => setForm({ ...form, scopes: e.target.value })} aria-describedby="c-scopes-hint" />
            <span className="hint" id="c-scopes-hint">
              The widest SMART scopes it may get, space-separated
            </span>
          </div>
          {add.isError && <ErrorMessage title="The client was not registered" error={add.error} />}
          <FormActions
            pending={add.isPending}
            submit="Register client"
            submitting="Registering…"
            onCancel={() => {
              setAdding(false);
              draft.clear();
              add.reset();
            }}
          />
        </form>
      )}
      {clients.isPending && <Loading label="Loading clients…" />}
      {clients.isError && <ErrorMessage title="The clients could not be listed" error={clients.error} retry={() => void clients.refetch()} />}
      {remove.isError && <ErrorMessage title="The client was not removed" error={remove.error} />}
      {clients.data && (
        <div className="table-wrap" aria-busy={clients.isFetching || remove.isPending}>
          <table className="results" aria-label="Clients">
            <thead>
              <tr>
                <th scope="col">Client id</th>
                <th scope="col">Type</th>
                <th scope="col">Scopes</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {[...clients.data].sort((a, b) => a.clientId.localeCompare(b.clientId)).map((c) => (
                <tr key={c.clientId}>
                  <td data-label="Client id">
                    <span className="item-main mono">{c.clientId}</span>
                    {c.clientId === WEB_CLIENT && <span className="item-detail">this web app</span>}
                  </td>
                  <td data-label="Type">{c.type}</td>
                  <td data-label="Scopes" className="scopes">
                    {lines(c.scopes ?? "").map((s) => (
                      <code key={s} className="scope">
                        {s}
                      </code>
                    ))}
                  </td>
                  <td className="actions-cell">
                    <div className="row-actions">
                      {c.clientId !== WEB_CLIENT && (
                        <button
                          type="button"
                          disabled={remove.isPending}
                          onClick={() => {
                            if (window.confirm(`Remove the client ${c.clientId}? Apps using it can no longer get tokens.`)) remove.mutate(c.clientId);
                          }}
                          aria-label={`Remove ${c.clientId}`}
                        >
                          Remove
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
