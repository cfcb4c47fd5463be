/** Shared plumbing of the campaign form's sections: the form state, a setter, and each field's message. */
import type { CampaignForm } from './model';

export interface SectionProps {
  form: CampaignForm;
  set: <K extends keyof CampaignForm>(key: K, value: CampaignForm[K]) => void;
  /** `{ error, validationMessage }` for a settings path, ready to spread onto an input. */
  field: (path: string) => { error: boolean; validationMessage?: string };
}

/**
 * The message for a settings path: the form's own check first, then the backend's issue for that path or any
 * path below it ("connectTo.number" shows at connectTo). Backend paths may carry a "settings." prefix (PATCH).
 */
export function messageFor(
  path: string,
  local: Record<string, string>,
  server: { path: string; message: string }[],
) {
  if (local[path]) return local[path];
  const issue = server.find((i) => {
    const p = i.path.startsWith('settings.') ? i.path.slice('settings.'.length) : i.path;
    return p === path || p.startsWith(`${path}.`);
  });
  return issue?.message;
}

export const option = <T extends string>(value: T, label: string) => ({ value, label });
