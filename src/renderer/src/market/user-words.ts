// The node's messages are written for every client, the command line included, so some of them name
// API commands ("accept with market.acceptOffer"). In the window a person clicks buttons instead:
// this names the button, so no message sends them looking for a command they cannot type.
const commandWords: readonly [RegExp, string][] = [
  [/\bmarket\.acceptOffer\b/g, 'Accept'],
  [/\bmarket\.counterOffer\b/g, 'a counter-offer'],
  [/\bmarket\.amend\b/g, 'Amend (on My orders)'],
  [/\bmarket\.decline\b/g, 'Decline'],
  [/\bmarket\.cancel\b/g, 'Cancel (on My orders)'],
  [/\bmarket\.refresh\b/g, 'Refresh orders (on My orders)'],
  [/\bmarket\.(?:setPolicy|clearPolicy)\b/g, 'Auto-negotiation'],
  [/\bmarket\.place\b/g, 'placing an order'],
]

/** A node's message with the API commands it names replaced by what the page offers for them. */
export function inUserWords(message: string): string {
  let said = message
  for (const [command, words] of commandWords) said = said.replace(command, words)
  return said
}
