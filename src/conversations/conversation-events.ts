/** `userId` cleared their conversation with `otherId`; only their own devices are told. */
export interface ConversationCleared {
  userId: number;
  otherId: number;
  /** Position of cleared_chat in the user's feed. */
  pos: number;
}

declare module '../events/domain-events.js' {
  interface DomainEventMap {
    'conversation.cleared': ConversationCleared;
  }
}
