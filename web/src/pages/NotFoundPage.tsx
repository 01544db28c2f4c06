import { Empty } from '../components/ui';
import { Link } from '../router';

export function NotFoundPage() {
  return (
    <div className="page page-narrow">
      <Empty
        title="Nothing here"
        action={
          <Link to="/" className="btn">
            Go to your projects
          </Link>
        }
      >
        The address does not match any page of Mailtrail.
      </Empty>
    </div>
  );
}
