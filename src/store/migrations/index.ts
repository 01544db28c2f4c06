import type { Migration } from 'kysely';
import * as m0001 from './2026_11_27_0001_foundation.js';
import * as m0002 from './2026_11_27_0002_email.js';
import * as m0003 from './2026_11_27_0003_templates.js';
import * as m0004 from './2026_11_27_0004_inbound.js';
import * as m0005 from './2026_11_27_0005_rules.js';
import * as m0006 from './2026_11_27_0006_outbox_pending.js';
import * as i17 from './2026_12_02_i17_email_import.js';
import * as opsBlobs from './2026_12_02_ops_blobs.js';
import * as trackerVersions from './2026_12_02_tracker_1_versions.js';
import * as trimSegments from './2026_12_02_trim_segments.js';
import * as userSessions from './2026_12_02_user_sessions.js';
import * as trackingAccounts from './2026_12_02_zz_tracking_accounts.js';
import * as trackerWorkflows from './2026_12_02_zzz_tracker_workflows.js';
import * as deliverability from './2026_12_02_zzzz_i19deliv_deliverability.js';
import * as i16Search from './2026_12_02_zzzzz_i16_search.js';
import * as i16Collab from './2026_12_02_zzzzzz_i16_links_comments_files.js';
import * as oauthTokens from './2026_12_02_zzzzzzz_i15oauth_tokens.js';
import * as i16ComposeDrafts from './2026_12_03_i16compose_drafts.js';
import * as i18Watchers from './2026_12_04_i18_1_watchers.js';
import * as i16TestingReqDocs from './2026_12_04_z_i16_testing_reqdocs.js';
import * as i18ReplyRoutes from './2026_12_04_zz_i18_reply_routes.js';
import * as i13TokenNames from './2026_12_04_zzz_i13_token_names.js';
import * as i18Notifications from './2026_12_04_zzz_i18_notifications.js';
import * as i18Digests from './2026_12_05_i18_digests.js';

/** Every migration, in order. Names are date-prefixed and never change once released. */
export const migrations: Record<string, Migration> = {
  '2026_11_27_0001_foundation': m0001,
  '2026_11_27_0002_email': m0002,
  '2026_11_27_0003_templates': m0003,
  '2026_11_27_0004_inbound': m0004,
  '2026_11_27_0005_rules': m0005,
  '2026_11_27_0006_outbox_pending': m0006,
  '2026_12_02_i17_email_import': i17,
  '2026_12_02_ops_blobs': opsBlobs,
  '2026_12_02_tracker_1_versions': trackerVersions,
  '2026_12_02_trim_segments': trimSegments,
  '2026_12_02_user_sessions': userSessions,
  // Sorts after the other migrations of the day that landed first (Kysely refuses out-of-order ones).
  '2026_12_02_zz_tracking_accounts': trackingAccounts,
  '2026_12_02_zzz_tracker_workflows': trackerWorkflows,
  '2026_12_02_zzzz_i19deliv_deliverability': deliverability,
  '2026_12_02_zzzzz_i16_search': i16Search,
  '2026_12_02_zzzzzz_i16_links_comments_files': i16Collab,
  '2026_12_02_zzzzzzz_i15oauth_tokens': oauthTokens,
  '2026_12_03_i16compose_drafts': i16ComposeDrafts,
  '2026_12_04_i18_1_watchers': i18Watchers,
  '2026_12_04_z_i16_testing_reqdocs': i16TestingReqDocs,
  '2026_12_04_zz_i18_reply_routes': i18ReplyRoutes,
  // Sorts after the day's migrations that landed first.
  '2026_12_04_zzz_i13_token_names': i13TokenNames,
  '2026_12_04_zzz_i18_notifications': i18Notifications,
  '2026_12_05_i18_digests': i18Digests,
};
