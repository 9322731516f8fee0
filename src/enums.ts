/**
 * The package's `./dist/enums` entry: what `@relaypro/sdk/dist/enums` exports, under the same
 * names, for apps written for 2.4.0 that import their enums from that deep path
 * (`import { Event } from 'relay-heroku-workflows/dist/enums'`). `Event`, `Language`,
 * `DeviceInfoQuery` and `DeviceInfoField` are this runtime's, the same objects the main entry
 * exports; the other tables are 2.4.0's own.
 */
export { Event, Language } from './relay/event';
export { DeviceInfoQuery, DeviceInfoField } from './relay/actions';
export {
  Button,
  CallDirection,
  DeviceType,
  IncidentStatus,
  Notification,
  NotificationPriority,
  NotificationSound,
  Taps,
  TimeoutType,
  TimerType,
} from '@relaypro/sdk/dist/enums';
