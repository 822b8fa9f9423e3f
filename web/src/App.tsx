import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter, Navigate, Route, Routes } from "react-router-dom";
import { canAdminister, canReadAudit, canSearchPatients, useAuth } from "./auth";
import { Layout } from "./components/Layout";
import { FhirError } from "./fhir";
import { AdminLayout } from "./pages/admin/AdminLayout";
import { AuditEventView } from "./pages/admin/AuditEventView";
import { AuditTrail } from "./pages/admin/AuditTrail";
import { Clients } from "./pages/admin/Clients";
import { Safeguards } from "./pages/admin/Safeguards";
import { Users } from "./pages/admin/Users";
import { AdminStatus } from "./pages/AdminStatus";
import { NotFound } from "./pages/NotFound";
import { PatientChart } from "./pages/PatientChart";
import { PatientSearch } from "./pages/PatientSearch";
import { ResourceView } from "./pages/ResourceView";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Clinical data changes: refetch on mount after a minute, but do not hammer a slow network on focus.
      staleTime: 60_000,
      refetchOnWindowFocus: false,
      // Retry only what may be transient; a 4xx answer will not change by asking again.
      retry: (failures, error) => failures < 2 && (!(error instanceof FhirError) || error.status === 0 || error.status >= 500),
    },
  },
});

function Home() {
  const { user } = useAuth();
  if (user.role === "patient") {
    return user.patientId ? <Navigate to={`/patients/${encodeURIComponent(user.patientId)}`} replace /> : <NotFound message="Your account is not linked to a patient record." />;
  }
  if (canSearchPatients(user)) return <Navigate to="/patients" replace />;
  if (canReadAudit(user)) return <Navigate to="/manage" replace />;
  return <NotFound message="Your role has no views in this app." />;
}

export function App() {
  const { user } = useAuth();
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <Routes>
          <Route element={<Layout />}>
            <Route index element={<Home />} />
            <Route path="callback" element={<Navigate to="/" replace />} />
            {canSearchPatients(user) && <Route path="patients" element={<PatientSearch />} />}
            <Route path="patients/:id" element={<PatientChart />} />
            <Route path="resources/:type/:id" element={<ResourceView />} />
            {/* The admin views live under /manage: /admin is the server's admin API (a reload there would get JSON). */}
            {canReadAudit(user) && (
              <Route path="manage" element={<AdminLayout />}>
                <Route index element={<Navigate to={canAdminister(user) ? "status" : "audit"} replace />} />
                <Route path="audit" element={<AuditTrail />} />
                <Route path="audit/:id" element={<AuditEventView />} />
                {canAdminister(user) && (
                  <>
                    <Route path="status" element={<AdminStatus />} />
                    <Route path="safeguards" element={<Safeguards />} />
                    <Route path="users" element={<Users />} />
                    <Route path="clients" element={<Clients />} />
                  </>
                )}
              </Route>
            )}
            {canAdminister(user) && <Route path="admin" element={<Navigate to="/manage/status" replace />} />}
            <Route path="*" element={<NotFound />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
