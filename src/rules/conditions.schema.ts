import { Type } from '@sinclair/typebox';
import type { Condition } from './conditions.js';

/**
 * The condition tree on the wire. Its shape is checked by `checkCondition` (one place, with
 * sentences people read), not here: a recursive schema would make every client's types recursive too.
 */
export const ConditionSchema = Type.Unsafe<Condition>(
  Type.Object(
    {},
    {
      $id: 'Condition',
      additionalProperties: true,
      description:
        '{"all":[…]} | {"any":[…]} | {"field","op","value"?} | {"field","op","minutes"}. Fields: type, status, statusCategory, priority, severity, assignee, creator, participants, fields.KEY (ops is, isNot, in, notIn, isEmpty, isNotEmpty, contains); age, sinceLastChange, sinceLastInbound (ops moreThan, lessThan, with minutes); changed (op anyOf, value: field names). See docs/notifications.md.',
    },
  ),
);
