import type { Workflow } from '../../src';

/** Types of script.js (plain CommonJS so that the SDK child process can load it unbuilt). */
export declare const DEVICE: string;
export declare const SILENT_DEVICE: string;
export declare const INTERACTION: string;
export declare const GROUP: string;
export declare const EMPTY_GROUP: string;
export declare const RESULTS_CATEGORY: string;
export declare const EVENT_CATEGORY: string;
export declare function conformanceWorkflow(workflow: Workflow): void;
