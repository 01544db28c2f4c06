import { ApiError } from '../api/client';
import { Empty, ErrorNote, Spinner } from '../components/ui';
import { useProjects, viewableTypes } from '../project';
import { Link, Redirect } from '../router';

/** /projects/KEY: opens the first record type the caller may view. */
export function ProjectIndex({ projectKey }: { projectKey: string }) {
  const { current } = useProjects();
  if (!current?.data) {
    if (current?.error) return <ProjectError error={current.error} />;
    return <Spinner />;
  }
  const types = viewableTypes(current.data.commands);
  if (types.length > 0) return <Redirect to={`/projects/${encodeURIComponent(projectKey)}/${types[0]!}`} />;
  if (current.data.commands.includes('project.administer')) return <Redirect to={`/projects/${encodeURIComponent(projectKey)}/settings`} />;
  return (
    <div className="page page-narrow">
      <Empty title="No records you can see">
        Your security group in {current.data.name} does not allow viewing any record type. Ask a project administrator.
      </Empty>
    </div>
  );
}

export function ProjectError({ error }: { error: Error }) {
  if (error instanceof ApiError && (error.status === 404 || error.status === 403)) {
    return (
      <div className="page page-narrow">
        <Empty
          title={error.status === 404 ? 'No such project' : 'Not a member'}
          action={
            <Link to="/?all=1" className="btn">
              All projects
            </Link>
          }
        >
          {error.message}
        </Empty>
      </div>
    );
  }
  return (
    <div className="page page-narrow">
      <ErrorNote error={error} />
    </div>
  );
}
