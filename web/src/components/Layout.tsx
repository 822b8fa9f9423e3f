import { useEffect, useRef } from "react";
import { NavLink, Outlet, useLocation } from "react-router-dom";
import { canAdminister, canReadAudit, canSearchPatients, useAuth } from "../auth";
import { ErrorBoundary } from "./ErrorBoundary";
import { IdleWatcher } from "./IdleWatcher";

export function Layout() {
  const { user, mode, signOut } = useAuth();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // On client-side navigation, move focus to the page so screen-reader and keyboard users start at its top.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [location.pathname]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true" />
          <span>Carelake</span>
        </div>
        <nav aria-label="Main">
          <ul>
            {canSearchPatients(user) && (
              <li>
                <NavLink to="/patients">Patients</NavLink>
              </li>
            )}
            {user.role === "patient" && user.patientId && (
              <li>
                <NavLink to={`/patients/${encodeURIComponent(user.patientId)}`}>My record</NavLink>
              </li>
            )}
            {canAdminister(user) && (
              <li>
                <NavLink to="/manage">Administration</NavLink>
              </li>
            )}
            {!canAdminister(user) && canReadAudit(user) && (
              <li>
                <NavLink to="/manage/audit">Audit trail</NavLink>
              </li>
            )}
          </ul>
        </nav>
        <div className="user">
          <span className="user-name" title={user.fhirUser}>
            {user.name}
            <span className="role">{user.role}</span>
          </span>
          {mode === "oidc" && (
            <button type="button" onClick={() => void signOut()}>
              Sign out
            </button>
          )}
        </div>
      </header>
      {mode === "off" && (
        <p className="dev-banner" role="note">
          Developer mode: the server runs without sign-in (<code>--dev</code>). Never use it with real patient data.
        </p>
      )}
      <main id="main" ref={main} tabIndex={-1}>
        <ErrorBoundary resetKey={location.pathname}>
          <Outlet />
        </ErrorBoundary>
      </main>
      <footer className="footer">Carelake · FHIR R4</footer>
      {mode === "oidc" && <IdleWatcher onExpire={signOut} />}
    </div>
  );
}
