import type { RecordType } from '../domain/commands.js';

/**
 * The standard templates every project starts with. Administrators may edit them and reset them
 * to the version here; they cannot delete or rename them. Changing a template here changes what
 * "reset" restores and makes edited copies show as modified; existing copies are not rewritten.
 *
 * Subjects leave out the record tag: the sender adds "[ACC-D42]" itself. Every template has a
 * place for the sender's own words, `{{ email.text }}`, and a typed subject wins over the
 * template's subject.
 */
export interface StandardTemplate {
  name: string;
  subject: string;
  text: string;
  html: string;
  /** Record types the template fits; empty = all. */
  recordTypes: RecordType[];
}

// ---- Building blocks shared by the templates (kept as Liquid source). ----

const greeting = `{% if recipient.name != blank %}Hello {{ recipient.name }},{% else %}Hello,{% endif %}`;
const greetingHtml = `<p style="margin: 0 0 16px;">${greeting}</p>`;

const assigneeName = `{% if record.assignee %}{{ record.assignee.fullName }}{% else %}Unassigned{% endif %}`;

/** A subject the sender typed replaces the template's. */
const subject = (fallback: string) => `{% if email.subject != blank %}{{ email.subject }}{% else %}${fallback}{% endif %}`;

const userText = `{% if email.text != blank %}{{ email.text }}{% endif %}`;
const userTextHtml = `{% if email.text != blank %}<p style="margin: 0 0 16px;">{{ email.text | newline_to_br }}</p>{% endif %}`;

const signature = `Regards,
{{ sender.fullName }}`;
const signatureHtml = `<p style="margin: 0 0 24px;">Regards,<br />
{{ sender.fullName }}</p>`;

const replyNote = `Reply to this email to respond; your reply is added to {{ record.tag }} in {{ project.name }}.`;
const replyNoteHtml = `<p style="margin: 24px 0 0; font-size: 12px; color: #59636e;">${replyNote}</p>`;

const details = `------------------------------------------------------------
{{ record.tag }}  {{ record.title }}
------------------------------------------------------------
Project:      {{ project.name }}
Type:         {{ record.typeLabel }}
Status:       {{ record.status }}
Assigned to:  ${assigneeName}
Entered by:   {{ record.creator.fullName }}`;

const description = `Description:
{% if record.description != blank %}{{ record.description }}{% else %}(No description was entered.){% endif %}`;

const row = (label: string, value: string) =>
  `<tr><td style="padding: 4px 16px 4px 0; color: #59636e; white-space: nowrap; vertical-align: top;">${label}</td><td style="padding: 4px 0; vertical-align: top;">${value}</td></tr>`;

const detailsHtml = `<div style="margin: 16px 0; padding: 12px 16px; border: 1px solid #d1d9e0; border-radius: 6px; background: #f6f8fa;">
<div style="font-size: 15px; font-weight: 600; margin: 0 0 8px;">{{ record.tag }} &middot; {{ record.title }}</div>
<table cellpadding="0" cellspacing="0" role="presentation" style="border-collapse: collapse; font-size: 14px;">
${row('Project', '{{ project.name }}')}
${row('Type', '{{ record.typeLabel }}')}
${row('Status', '{{ record.status }}')}
${row('Assigned to', assigneeName)}
${row('Entered by', '{{ record.creator.fullName }}')}
</table>
</div>`;

const descriptionHtml = `<div style="margin: 16px 0;">
<div style="font-weight: 600; margin: 0 0 4px;">Description</div>
{% if record.description != blank %}<div style="white-space: normal;">{{ record.description | newline_to_br }}</div>{% else %}<div style="color: #59636e;">(No description was entered.)</div>{% endif %}
</div>`;

const layout = (body: string) => `<!DOCTYPE html>
<html>
<body style="margin: 0; padding: 0;">
<div style="font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 14px; line-height: 1.5; color: #1f2328; max-width: 640px; padding: 16px;">
${body}
</div>
</body>
</html>`;

// ---- The standard set. ----

const recordSummary: StandardTemplate = {
  name: 'Record summary',
  recordTypes: [],
  subject: subject('{{ record.typeLabel }}: {{ record.title }}'),
  text: `${greeting}

${userText}

${signature}

${details}

${description}

${replyNote}`,
  html: layout(`${greetingHtml}
${userTextHtml}
${signatureHtml}
${detailsHtml}
${descriptionHtml}
${replyNoteHtml}`),
};

const askByType = `{% case record.type %}{% when 'defect' %}Could you tell me the exact steps that lead to the problem, what you expected to happen instead, and the version and environment where you saw it?{% when 'requirement', 'requirementDocument' %}Could you clarify the intent behind this {{ record.typeLabel | downcase }}: who needs it, what a good result looks like, and any constraints we should know about?{% when 'testCase' %}Could you clarify the expected results for this test case and any preconditions or test data it depends on?{% else %}Could you tell me anything that would help me complete this {{ record.typeLabel | downcase }}?{% endcase %}`;

const requestForInformation: StandardTemplate = {
  name: 'Request for information',
  recordTypes: [],
  subject: subject('Information needed: {{ record.title }}'),
  text: `${greeting}

I am working on {{ record.typeLabel | downcase }} {{ record.tag }}, "{{ record.title }}", in {{ project.name }} and need more information from you to move it forward.

{% if email.text != blank %}{{ email.text }}{% else %}${askByType}{% endif %}

Please reply to this email; your answer is added to {{ record.tag }} automatically.

Thank you,
{{ sender.fullName }}

${details}

${description}`,
  html: layout(`${greetingHtml}
<p style="margin: 0 0 16px;">I am working on {{ record.typeLabel | downcase }} <strong>{{ record.tag }}</strong>, &ldquo;{{ record.title }}&rdquo;, in {{ project.name }} and need more information from you to move it forward.</p>
<p style="margin: 0 0 16px;">{% if email.text != blank %}{{ email.text | newline_to_br }}{% else %}${askByType}{% endif %}</p>
<p style="margin: 0 0 16px;">Please reply to this email; your answer is added to {{ record.tag }} automatically.</p>
<p style="margin: 0 0 24px;">Thank you,<br />
{{ sender.fullName }}</p>
${detailsHtml}
${descriptionHtml}`),
};

const statusUpdate: StandardTemplate = {
  name: 'Status update',
  recordTypes: [],
  subject: subject('Status update: {{ record.title }} is {{ record.status }}'),
  text: `${greeting}

Here is the latest on {{ record.typeLabel | downcase }} {{ record.tag }}, "{{ record.title }}": its status is now {{ record.status }}{% if record.assignee %} and {{ record.assignee.fullName }} is working on it{% endif %}.

${userText}

${signature}

${details}

${replyNote}`,
  html: layout(`${greetingHtml}
<p style="margin: 0 0 16px;">Here is the latest on {{ record.typeLabel | downcase }} <strong>{{ record.tag }}</strong>, &ldquo;{{ record.title }}&rdquo;: its status is now <strong>{{ record.status }}</strong>{% if record.assignee %} and {{ record.assignee.fullName }} is working on it{% endif %}.</p>
${userTextHtml}
${signatureHtml}
${detailsHtml}
${replyNoteHtml}`),
};

const reviewRequest: StandardTemplate = {
  name: 'Review request',
  recordTypes: ['requirement', 'requirementDocument', 'testCase'],
  subject: subject('Review requested: {{ record.title }}'),
  text: `${greeting}

Please review {{ record.typeLabel | downcase }} {{ record.tag }}, "{{ record.title }}", in {{ project.name }}.

${userText}

Reply to this email with your comments, or with your approval if it is ready as written. Your reply is added to {{ record.tag }} automatically.

Thank you,
{{ sender.fullName }}

${details}

${description}`,
  html: layout(`${greetingHtml}
<p style="margin: 0 0 16px;">Please review {{ record.typeLabel | downcase }} <strong>{{ record.tag }}</strong>, &ldquo;{{ record.title }}&rdquo;, in {{ project.name }}.</p>
${userTextHtml}
<p style="margin: 0 0 16px;">Reply to this email with your comments, or with your approval if it is ready as written. Your reply is added to {{ record.tag }} automatically.</p>
<p style="margin: 0 0 24px;">Thank you,<br />
{{ sender.fullName }}</p>
${detailsHtml}
${descriptionHtml}`),
};

// Notification rule templates: written about the record, not from a person.

const byActor = `{% if actor %} by {{ actor.fullName }}{% endif %}`;
const ruleFooter = `You receive this email because of the notification rules of {{ project.name }}.`;
const ruleFooterHtml = `<p style="margin: 24px 0 0; font-size: 12px; color: #59636e;">${ruleFooter}</p>`;

const assignedSentence = `{% if record.assignee and record.assignee.email == recipient.email %}{{ record.typeLabel }} {{ record.tag }} has been assigned to you${byActor}.{% elsif record.assignee %}{{ record.typeLabel }} {{ record.tag }} has been assigned to {{ record.assignee.fullName }}${byActor}.{% else %}{{ record.typeLabel }} {{ record.tag }} is no longer assigned to anyone.{% endif %}`;

const recordAssigned: StandardTemplate = {
  name: 'Record assigned',
  recordTypes: [],
  subject: subject(
    '{% if record.assignee and record.assignee.email == recipient.email %}Assigned to you{% elsif record.assignee %}Assigned to {{ record.assignee.fullName }}{% else %}Unassigned{% endif %}: {{ record.title }}',
  ),
  text: `${greeting}

${assignedSentence}

${userText}

${details}

${description}

${ruleFooter}`,
  html: layout(`${greetingHtml}
<p style="margin: 0 0 16px;">${assignedSentence}</p>
${userTextHtml}
${detailsHtml}
${descriptionHtml}
${ruleFooterHtml}`),
};

const recordCreated: StandardTemplate = {
  name: 'Record created',
  recordTypes: [],
  subject: subject('New {{ record.typeLabel | downcase }}: {{ record.title }}'),
  text: `${greeting}

A new {{ record.typeLabel | downcase }}, {{ record.tag }}, was added to {{ project.name }}${byActor}.

${userText}

${details}

${description}

${ruleFooter}`,
  html: layout(`${greetingHtml}
<p style="margin: 0 0 16px;">A new {{ record.typeLabel | downcase }}, <strong>{{ record.tag }}</strong>, was added to {{ project.name }}${byActor}.</p>
${userTextHtml}
${detailsHtml}
${descriptionHtml}
${ruleFooterHtml}`),
};

const changeLine = `{% if c.field == 'description' %}The description was changed (the new text is below).{% else %}{{ c.label }}: {{ c.old | default: '(none)' }} → {{ c.new | default: '(none)' }}{% endif %}`;

const recordChanged: StandardTemplate = {
  name: 'Record changed',
  recordTypes: [],
  subject: subject('{{ record.typeLabel }} changed: {{ record.title }}'),
  text: `${greeting}

{{ record.typeLabel }} {{ record.tag }} was changed${byActor}.
{% if changes.size > 0 %}
What changed:
{% for c in changes %}  - ${changeLine}
{% endfor %}{% endif %}
${userText}

${details}

${description}

${ruleFooter}`,
  html: layout(`${greetingHtml}
<p style="margin: 0 0 16px;">{{ record.typeLabel }} <strong>{{ record.tag }}</strong> was changed${byActor}.</p>
{% if changes.size > 0 %}<div style="font-weight: 600; margin: 0 0 4px;">What changed</div>
<ul style="margin: 0 0 16px; padding-left: 20px;">
{% for c in changes %}<li>{% if c.field == 'description' %}The description was changed (the new text is below).{% else %}{{ c.label }}: <span style="color: #59636e; text-decoration: line-through;">{{ c.old | default: '(none)' }}</span> &rarr; <strong>{{ c.new | default: '(none)' }}</strong>{% endif %}</li>
{% endfor %}</ul>{% endif %}
${userTextHtml}
${detailsHtml}
${descriptionHtml}
${ruleFooterHtml}`),
};

export const STANDARD_TEMPLATES: readonly StandardTemplate[] = [
  recordSummary,
  requestForInformation,
  statusUpdate,
  reviewRequest,
  recordAssigned,
  recordCreated,
  recordChanged,
];

const byName = new Map(STANDARD_TEMPLATES.map((t) => [t.name, t]));

export function standardTemplate(name: string): StandardTemplate | undefined {
  return byName.get(name);
}
