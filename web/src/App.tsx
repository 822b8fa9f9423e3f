import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter, Navigate, Route, Routes } from "react-router-dom";
import { canAdminister, canSearchPatients, useAuth } from "./auth";
import { Layout } from "./components/Layout";
import { FhirError } from "./fhir";
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
  return <Navigate to="/admin" replace />;
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
            {canAdminister(user) && <Route path="admin" element={<AdminStatus />} />}
            <Route path="*" element={<NotFound />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
