// The admin JSON API (/admin/users, /admin/clients, /admin/compliance): types and queries shared by the admin views.
import { useQuery } from "@tanstack/react-query";
import { canAdminister, useAuth } from "./auth";
import { apiGet } from "./fhir";

export interface UserAccount {
  /** The token subject: what audit records name as the agent. */
  id?: string;
  userName: string;
  displayName?: string | null;
  role: string;
  fhirUser?: string | null;
  disabled: boolean;
  lockedOut: boolean;
}

export interface ClientAccount {
  clientId: string;
  type?: string | null;
  scopes?: string | null;
}

export interface ComplianceCheck {
  id: string;
  safeguard: string;
  passed: boolean;
  finding: string;
  remediation: string;
}

export interface ComplianceReport {
  passed: boolean;
  checks: ComplianceCheck[];
}

export const USER_ROLES = ["clinician", "administrator", "analyst", "auditor", "patient"] as const;

export const usersKey = ["admin", "users"] as const;
export const clientsKey = ["admin", "clients"] as const;

/**
 * The user list when this session may read it (administrators, with sign-in on: --dev mode has no user store), else
 * undefined. The audit view uses it to show names for the user ids in the trail.
 */
export function useUserDirectory() {
  const { user, mode } = useAuth();
  return useQuery({
    queryKey: usersKey,
    enabled: mode === "oidc" && canAdminister(user),
    queryFn: ({ signal }) => apiGet<UserAccount[]>("/admin/users", signal),
    staleTime: 60_000,
  });
}

/** "Ann Lee (ann)" for a user id in the directory; the id itself otherwise. */
export function userLabel(id: string, users: UserAccount[] | undefined): string {
  const found = users?.find((u) => u.id === id);
  if (!found) return id;
  return found.displayName && found.displayName !== found.userName ? `${found.displayName} (${found.userName})` : found.userName;
}
