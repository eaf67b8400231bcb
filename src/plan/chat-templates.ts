/**
 * `chat_template:` of a recipe (mergekit-spec §4.4): a built-in template by name, or the user's own Jinja text. The
 * result replaces `chat_template` in the output's tokenizer_config.json.
 */
import { AppError } from '../shared/errors';

/** Built-in templates (written for Merge Studio; the formats are the public conventions of each family). */
export const CHAT_TEMPLATES: Readonly<Record<string, string>> = {
  chatml:
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
  llama3:
    "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
  alpaca:
    "{% for message in messages %}{% if message['role'] == 'system' %}{{ message['content'] + '\\n\\n' }}" +
    "{% elif message['role'] == 'user' %}{{ '### Instruction:\\n' + message['content'] + '\\n\\n' }}" +
    "{% else %}{{ '### Response:\\n' + message['content'] + eos_token + '\\n\\n' }}{% endif %}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '### Response:\\n' }}{% endif %}",
  mistral:
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}" +
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}",
};

/** The Jinja text for a recipe's `chat_template` value, or a typed error saying what is accepted. */
export function resolveChatTemplate(value: string): string {
  const builtin = CHAT_TEMPLATES[value];
  if (builtin !== undefined) return builtin;
  if (value === 'auto' || value === 'exaone') {
    throw new AppError('E_UNSUPPORTED', `chat_template: ${value} is not supported yet.`, {
      hint: `Use one of ${Object.keys(CHAT_TEMPLATES).join(', ')}, or write the Jinja template itself.`,
    });
  }
  if (value.length < 20 || !value.includes('{')) {
    throw new AppError('E_RECIPE_INVALID', `chat_template "${value}" is neither a built-in template nor Jinja text.`, {
      hint: `Use one of ${Object.keys(CHAT_TEMPLATES).join(', ')}, or a Jinja template (at least 20 characters, with {% %} or {{ }}).`,
    });
  }
  return value;
}
