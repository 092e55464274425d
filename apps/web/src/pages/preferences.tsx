import { Section } from "../forms.tsx";

export function Preferences() {
  return <Section title="Notification preferences">{null}</Section>;
}
