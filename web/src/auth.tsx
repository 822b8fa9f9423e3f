// Sign-in through Carelake's authorization server (OpenID Connect, authorization code + PKCE, oidc-client-ts).
// The server says whether authentication is on: /.well-known/smart-configuration answers 200 when it is, and 404
// in --dev mode, where the app runs without sign-in.
import { createContext, useContext } from "react";
import { UserManager, WebStorageStateStore, type User } from "oidc-client-ts";

export const CLIENT_ID = "carelake-web";
// A user-level app: no launch/patient (a patient user gets their own patient from the server; an administrator or
// auditor with a patient in context would be refused the audit trail). user/AuditEvent.rs is what an auditor may have.
export const SCOPES = "openid fhirUser offline_access user/*.cruds user/AuditEvent.rs patient/*.rs";

export type Role = "administrator" | "clinician" | "analyst" | "patient" | "service" | "auditor" | "developer";

export interface SessionUser {
  name: string;
  role: Role;
  /** e.g. "Patient/123" for a patient user. */
  fhirUser?: string;
  /** The patient a patient-role user may see. */
  patientId?: string;
}

export interface AuthState {
  /** "off": --dev mode, no sign-in; "oidc": signed in through the authorization server. */
  mode: "off" | "oidc";
  user: SessionUser;
  signOut: () => Promise<void>;
}

export const AuthContext = createContext<AuthState | null>(null);

export function useAuth(): AuthState {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthContext");
  return auth;
}

export const DEV_USER: SessionUser = { name: "Developer (no sign-in)", role: "developer" };

/** Whether the server runs with authentication: true (200), false (404, --dev mode); anything else is an error. */
export async function detectAuthentication(): Promise<boolean> {
  const response = await fetch("/.well-known/smart-configuration", { headers: { Accept: "application/json" } });
  if (response.status === 404) return false;
  if (response.ok) return true;
  throw new Error(`The server's /.well-known/smart-configuration answered ${response.status}.`);
}

export function createUserManager(origin: string = window.location.origin): UserManager {
  return new UserManager({
    authority: origin,
    client_id: CLIENT_ID,
    redirect_uri: `${origin}/callback`,
    post_logout_redirect_uri: `${origin}/`,
    response_type: "code",
    scope: SCOPES,
    // offline_access gives a refresh token: renewal needs no hidden iframe (the server forbids framing).
    automaticSilentRenew: true,
    loadUserInfo: true,
    // Tokens live for the tab only; a closed tab is a signed-out tab.
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
}

const ROLES: readonly Role[] = ["administrator", "clinician", "analyst", "patient", "service", "auditor"];

/** The app's view of an OIDC user: name, role and (for patients) the one patient they may see. */
export function sessionUser(user: Pick<User, "profile">): SessionUser {
  const profile = user.profile as Record<string, unknown>;
  const claimRole = Array.isArray(profile.role) ? profile.role[0] : profile.role;
  const role = ROLES.includes(claimRole as Role) ? (claimRole as Role) : "clinician";
  const fhirUser = typeof profile.fhirUser === "string" ? profile.fhirUser : undefined;
  const patientClaim = typeof profile.patient === "string" ? profile.patient : undefined;
  const fromFhirUser = fhirUser?.match(/(?:^|\/)Patient\/([^/]+)$/)?.[1];
  const name = [profile.name, profile.preferred_username, profile.sub].find((v): v is string => typeof v === "string" && v.length > 0) ?? "Signed in";
  return { name, role, fhirUser, patientId: role === "patient" ? (patientClaim ?? fromFhirUser) : undefined };
}

export function canSearchPatients(user: SessionUser): boolean {
  return user.role !== "patient" && user.role !== "auditor";
}

export function canAdminister(user: SessionUser): boolean {
  return user.role === "administrator" || user.role === "developer";
}

/** The audit trail: administrators and auditors (the server refuses everyone else, and any patient-bound token). */
export function canReadAudit(user: SessionUser): boolean {
  return canAdminister(user) || user.role === "auditor";
}
