from django.dispatch import Signal

# Sent inside the transaction of every change to who is in an organisation (an invitation
# sent, resent, revoked or accepted; a role changed; a member removed), with keyword arguments
# organisation, actor, action, obj and details. The audit log listens.
team_changed = Signal()
