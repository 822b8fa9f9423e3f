import { NavLink, Outlet } from "react-router-dom";
import { canAdminister, canReadAudit, useAuth } from "../../auth";

/** The administration area: its own navigation (a list of links, reachable by Tab) above each view. */
export function AdminLayout() {
  const { user } = useAuth();
  const links = [
    { to: "/manage/status", label: "System status", show: canAdminister(user) },
    { to: "/manage/audit", label: "Audit trail", show: canReadAudit(user) },
    { to: "/manage/safeguards", label: "Safeguards", show: canAdminister(user) },
    { to: "/manage/users", label: "Users", show: canAdminister(user) },
    { to: "/manage/clients", label: "Clients", show: canAdminister(user) },
  ].filter((l) => l.show);
  return (
    <div className="admin-area">
      {links.length > 1 && (
        <nav className="subnav" aria-label="Administration">
          <ul>
            {links.map((l) => (
              <li key={l.to}>
                <NavLink to={l.to}>{l.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <Outlet />
    </div>
  );
}
