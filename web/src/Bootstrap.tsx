// Decides how the app runs before anything else renders: without sign-in (--dev), signed in, or on the sign-in
// screen; finishes the OIDC redirect on /callback.
import { useEffect, useMemo, useState } from "react";
import type { User, UserManager } from "oidc-client-ts";
import { App } from "./App";
import { AuthContext, DEV_USER, createUserManager, detectAuthentication, sessionUser, type AuthState } from "./auth";
import { configureFhirClient } from "./fhir";
import { clearDrafts } from "./useDraft";

type Boot =
  | { kind: "loading" }
  | { kind: "error"; message: string }
  | { kind: "off" }
  | { kind: "signed-out"; manager: UserManager; reason?: string }
  | { kind: "signed-in"; manager: UserManager; user: User };

// React's StrictMode runs effects twice in development; the authorization code may be redeemed only once.
let callbackOnce: Promise<User> | undefined;

function returnTo(user: User): string {
  const state = user.state as { returnTo?: string } | undefined;
  return state?.returnTo && state.returnTo.startsWith("/") && !state.returnTo.startsWith("//") ? state.returnTo : "/";
}

export function Bootstrap() {
  const [boot, setBoot] = useState<Boot>({ kind: "loading" });

  useEffect(() => {
    let cancelled = false;
    const set = (b: Boot) => {
      if (!cancelled) setBoot(b);
    };
    (async () => {
      let authOn: boolean;
      try {
        authOn = await detectAuthentication();
      } catch (e) {
        set({ kind: "error", message: e instanceof Error ? e.message : String(e) });
        return;
      }
      if (!authOn) {
        configureFhirClient(() => undefined, () => {});
        set({ kind: "off" });
        return;
      }
      const manager = createUserManager();
      let current: User | null = null;
      configureFhirClient(
        () => current?.access_token,
        () => set({ kind: "signed-out", manager, reason: "Your session has ended. Sign in again to continue." }),
      );
      manager.events.addUserLoaded((u) => {
        current = u;
      });
      manager.events.addUserSignedOut(() => set({ kind: "signed-out", manager, reason: "You were signed out." }));
      manager.events.addSilentRenewError(() => set({ kind: "signed-out", manager, reason: "Your session could not be renewed. Sign in again to continue." }));
      try {
        if (window.location.pathname === "/callback") {
          callbackOnce ??= manager.signinRedirectCallback();
          const user = await callbackOnce;
          window.history.replaceState(null, "", returnTo(user));
          current = user;
          set({ kind: "signed-in", manager, user });
          return;
        }
        let user = await manager.getUser();
        if (user?.expired && user.refresh_token) user = await manager.signinSilent().catch(() => null);
        if (user && !user.expired) {
          current = user;
          set({ kind: "signed-in", manager, user });
        } else {
          set({ kind: "signed-out", manager });
        }
      } catch (e) {
        set({ kind: "signed-out", manager, reason: `Sign-in failed: ${e instanceof Error ? e.message : String(e)}` });
      }
    })();
    return () => {
      cancelled = true;
    };
  }, []);

  const auth = useMemo<AuthState | null>(() => {
    if (boot.kind === "off") return { mode: "off", user: DEV_USER, signOut: async () => {} };
    if (boot.kind === "signed-in") {
      return {
        mode: "oidc",
        user: sessionUser(boot.user),
        signOut: async () => {
          // Revoke the refresh token (it would outlive the session otherwise), forget the tokens in this tab, then
          // end the server's session. Without an id_token_hint: the end-session request names the client instead,
          // which the server accepts whatever audiences its ID tokens carry.
          await boot.manager.revokeTokens(["refresh_token", "access_token"]).catch(() => undefined);
          await boot.manager.removeUser();
          clearDrafts();
          await boot.manager.signoutRedirect().catch(() => window.location.assign("/"));
        },
      };
    }
    return null;
  }, [boot]);

  if (boot.kind === "loading") {
    return (
      <main className="boot" aria-busy="true">
        <p role="status">Loading Carelake…</p>
      </main>
    );
  }
  if (boot.kind === "error") {
    return (
      <main className="boot">
        <h1>Carelake could not start</h1>
        <p role="alert">{boot.message}</p>
        <button type="button" onClick={() => window.location.reload()}>
          Try again
        </button>
      </main>
    );
  }
  if (boot.kind === "signed-out") {
    return <SignIn manager={boot.manager} reason={boot.reason} />;
  }
  return (
    <AuthContext.Provider value={auth}>
      <App />
    </AuthContext.Provider>
  );
}

function SignIn({ manager, reason }: { manager: UserManager; reason?: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const signIn = async () => {
    setBusy(true);
    try {
      const here = window.location.pathname + window.location.search;
      await manager.signinRedirect({ state: { returnTo: here === "/callback" ? "/" : here } });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  return (
    <main className="boot signin" id="main">
      <h1>
        <span className="logo" aria-hidden="true" /> Carelake
      </h1>
      {reason && (
        <p className="notice" role="status">
          {reason}
        </p>
      )}
      <p>Sign in with your Carelake account to see patient records.</p>
      <button type="button" className="primary" onClick={signIn} disabled={busy}>
        {busy ? "Redirecting…" : "Sign in"}
      </button>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
    </main>
  );
}
