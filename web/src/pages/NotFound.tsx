import { Link } from "react-router-dom";
import { useTitle } from "../useTitle";

export function NotFound({ message }: { message?: string }) {
  useTitle("Not found");
  return (
    <section aria-labelledby="nf-title">
      <h1 id="nf-title">Page not found</h1>
      <p>{message ?? "There is no page at this address, or you are not allowed to see it."}</p>
      <p>
        <Link to="/">Go to the start page</Link>
      </p>
    </section>
  );
}
